/** Untrusted code in runs: each failure stays in its node, other runs go on, the host stays out of reach. */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startTestServer, type TestServer } from '../testing/harness.js';
import { node, nodeOf, PipelineDriver } from '../testing/pipelines.js';

let server: TestServer;
let driver: PipelineDriver;

before(async () => {
  server = await startTestServer();
  driver = new PipelineDriver(server, await server.login('admin@acme.test'));
});
after(() => server.close());

const transform = (code: string, settings = {}) => ({ nodes: [node('code', 'core.transform', { code }, { settings })], edges: [] });

async function runAlongsideHealthy(code: string, settings = {}) {
  const [bad, healthy] = await Promise.all([driver.run(transform(code, settings)), driver.run({ nodes: [node('wait', 'core.delay', { ms: 200 }), node('set', 'core.set', { value: 'fine' })], edges: [{ id: 'e', source: 'wait', target: 'set' }] })]);
  assert.equal(healthy.status, 'succeeded', 'a run beside it went on');
  assert.equal(healthy.output, 'fine');
  assert.equal(bad.status, 'failed');
  return nodeOf(bad, 'code');
}

describe('untrusted code in a run', () => {
  it('fails only its node on an infinite loop, within the time limit', async () => {
    const started = Date.now();
    const failed = await runAlongsideHealthy('while (true) {}', { sandbox: { timeoutMs: 200 } });
    assert.equal(failed.error!.code, 'timeout');
    assert.ok(Date.now() - started < 5000);
  });

  it('fails only its node on a 2 GB allocation', async () => {
    const failed = await runAlongsideHealthy('const chunks = []; while (true) chunks.push(new Uint8Array(64 * 1024 * 1024).fill(1)); return chunks.length', { sandbox: { memoryMb: 32, timeoutMs: 10_000 } });
    assert.match(failed.error!.code ?? '', /memory|script/);
  });

  it('fails only its node on deep recursion', async () => {
    const failed = await runAlongsideHealthy('function down(n) { return down(n + 1) + 1 } return down(0)');
    assert.match(failed.error!.message, /RangeError/);
  });

  it('reaches nothing of the host', async () => {
    const probes = {
      process: 'typeof process',
      require: 'typeof require',
      fetch: 'typeof fetch',
      constructorWalk: "(() => { try { return typeof this.constructor.constructor('return process')() } catch (e) { return 'threw' } })()",
      functionGlobal: "(() => { try { return typeof Function('return this')().process } catch (e) { return 'threw' } })()",
      templateLiteral: "(() => { try { return typeof Function`return process`() } catch (e) { return 'threw' } })()",
      stackTrace:
        "(() => { Error.prepareStackTrace = (_, frames) => frames.map((f) => { const self = f.getThis(); const fn = f.getFunction && f.getFunction(); return (self && (self.process || self.require)) || (fn && (() => { const kind = fn.constructor('return typeof process')(); return typeof kind === 'string' && kind !== 'undefined' })()) ? 'host' : 'isolate' }); const s = new Error().stack; return Array.isArray(s) ? s.join(',') : typeof s })()",
    };
    const code = `return { ${Object.entries(probes).map(([key, expression]) => `${key}: ${expression}`).join(', ')} }`;
    const run = await driver.run(transform(code));
    assert.equal(run.status, 'succeeded', JSON.stringify(run.error));
    const output = run.output as Record<string, string>;
    for (const key of ['process', 'require', 'fetch']) assert.equal(output[key], 'undefined', key);
    for (const key of ['constructorWalk', 'functionGlobal', 'templateLiteral']) assert.ok(['undefined', 'threw'].includes(output[key]!), `${key}: ${output[key]}`);
    assert.ok(!/host/.test(output.stackTrace ?? ''), `no stack frame reaches the host: ${output.stackTrace}`);
  });

  it('takes its limits from the org settings, and a node overrides them', async () => {
    const token = driver.token;
    const patched = await server.request('PATCH', '/api/settings', { token, body: { sandbox: { timeoutMs: 150 } } });
    assert.equal(patched.status, 200);
    assert.equal(patched.body.sandbox.timeoutMs, 150);
    const orgDefault = await driver.run(transform('while (true) {}'));
    assert.match(nodeOf(orgDefault, 'code').error!.message, /150 ms/);
    const overridden = await driver.run(transform('while (true) {}', { sandbox: { timeoutMs: 300 } }));
    assert.match(nodeOf(overridden, 'code').error!.message, /300 ms/);
    await server.request('PATCH', '/api/settings', { token, body: { sandbox: { timeoutMs: 1000 } } });
    assert.equal((await driver.run(transform('return 1 + 1'))).output, 2, 'the worker still runs code afterwards');
  });
});
