/**
 * The execution semantics of ARCHITECTURE.md, one rule per test, through the real API, queue,
 * worker, isolates and PostgreSQL.
 */
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { defineNode, definePlugin } from '@piper/sdk';
import { startTestServer, type TestServer } from '../testing/harness.js';
import { edge, node, nodeOf, PipelineDriver } from '../testing/pipelines.js';

let server: TestServer;
let driver: PipelineDriver;

const transform = (id: string, code: string, extra = {}) => node(id, 'core.transform', { code }, extra);

before(async () => {
  server = await startTestServer();
  driver = new PipelineDriver(server, await server.login('admin@acme.test'));
  // A node type of a test plugin, written with the public SDK like any plugin.
  server.services.registry.register(
    definePlugin({
      id: '@test/files',
      version: '1.0.0',
      nodes: [
        defineNode({
          type: 'test.writeFile',
          version: '1.0.0',
          name: 'Write a file',
          args: { type: 'object', required: ['name', 'text'], properties: { name: { type: 'string' }, text: { type: 'string' } } } as const,
          async handler(input, args, ctx) {
            ctx.log.info(`writing ${args.name}`);
            const file = await ctx.files.write(args.name, args.text, 'text/plain');
            return { file, input };
          },
        }),
        defineNode({
          type: 'test.readFile',
          version: '1.0.0',
          name: 'Read a file',
          args: { type: 'object', required: ['file'], properties: { file: {} } } as const,
          async handler(_input, args, ctx) {
            const file = await ctx.files.read(args.file as string);
            return { name: file.name, contentType: file.contentType, size: file.size, text: Buffer.from(file.data).toString('utf8') };
          },
        }),
      ],
    }),
  );
});
after(() => server.close());

describe('payloads', () => {
  it('gives the run input to a root node, and its output replaces the payload for the next', async () => {
    const run = await driver.run(
      { nodes: [transform('a', 'return { seen: input, doubled: input.n * 2 }'), transform('b', 'return input.doubled + 1')], edges: [edge('a', 'b')] },
      { n: 20 },
    );
    assert.equal(run.status, 'succeeded');
    assert.deepEqual(nodeOf(run, 'a').output, { seen: { n: 20 }, doubled: 40 });
    assert.equal(run.output, 41);
  });

  it('never mutates the start payload', async () => {
    const run = await driver.run({ nodes: [transform('a', 'input.n = 999; input.extra = true; return input')], edges: [] }, { n: 1 });
    const stored = await server.services.db('runs').where({ id: run.id }).first('input');
    assert.deepEqual(stored.input, { n: 1 });
    assert.deepEqual(run.output, { n: 999, extra: true });
  });

  it('makes a node with several parents wait for all and receive { [parentId]: output }', async () => {
    const run = await driver.run({
      nodes: [node('start', 'core.manual'), transform('fast', 'return 1'), node('slow', 'core.delay', { ms: 150 }), transform('join', 'return input')],
      edges: [edge('start', 'fast'), edge('start', 'slow'), edge('fast', 'join'), edge('slow', 'join')],
    }, 'payload');
    assert.equal(run.status, 'succeeded');
    assert.deepEqual(run.output, { fast: 1, slow: 'payload' });
  });

  it('core.waitAll outputs { [parentId]: output }', async () => {
    const run = await driver.run({
      nodes: [transform('x', 'return "x"'), transform('y', 'return "y"'), node('wait', 'core.waitAll')],
      edges: [edge('x', 'wait'), edge('y', 'wait')],
    });
    assert.deepEqual(run.output, { x: 'x', y: 'y' });
  });

  it('core.mergeRace runs once, with the first parent that finishes', async () => {
    const run = await driver.run({
      nodes: [node('slow', 'core.delay', { ms: 400 }), transform('quick', 'return "quick"'), node('race', 'core.mergeRace'), transform('after', 'return input')],
      edges: [edge('slow', 'race'), edge('quick', 'race'), edge('race', 'after')],
    }, 'slow input');
    assert.equal(run.status, 'succeeded');
    assert.equal(run.output, 'quick');
    assert.equal(nodeOf(run, 'race').attemptCount, 1);
  });

  it('returns every leaf output keyed by node when a graph has several leaves', async () => {
    const run = await driver.run({ nodes: [transform('a', 'return 1'), transform('b', 'return 2')], edges: [] });
    assert.deepEqual(run.output, { a: 1, b: 2 });
  });
});

describe('branching', () => {
  it('core.if takes one handle; the other branch is skipped, and so is a node whose every incoming edge is dead', async () => {
    const run = await driver.run({
      nodes: [
        node('check', 'core.if', { condition: '{{ amount > 100 }}' }),
        transform('big', 'return "big"'),
        transform('small', 'return "small"'),
        transform('afterSmall', 'return input'),
      ],
      edges: [edge('check', 'big', 'true'), edge('check', 'small', 'false'), edge('small', 'afterSmall')],
    }, { amount: 150 });
    assert.equal(run.status, 'succeeded');
    assert.equal(nodeOf(run, 'big').status, 'succeeded');
    assert.equal(nodeOf(run, 'small').status, 'skipped');
    assert.equal(nodeOf(run, 'afterSmall').status, 'skipped');
    assert.equal(run.output, 'big');
  });

  it('runs a merge after an if with only the branch taken', async () => {
    const run = await driver.run({
      nodes: [node('check', 'core.if', { condition: '{{ ok }}' }), transform('yes', 'return "yes"'), transform('no', 'return "no"'), transform('merge', 'return input')],
      edges: [edge('check', 'yes', 'true'), edge('check', 'no', 'false'), edge('yes', 'merge'), edge('no', 'merge')],
    }, { ok: false });
    assert.equal(nodeOf(run, 'merge').status, 'succeeded');
    assert.deepEqual(run.output, { no: 'no' });
  });

  it('core.switch emits on the first matching case, else on default', async () => {
    const graph = {
      nodes: [
        node('route', 'core.switch', { cases: [{ handle: 'small', condition: '{{ n < 10 }}' }, { handle: 'medium', condition: '{{ n < 100 }}' }] }),
        transform('small', 'return "small"'),
        transform('medium', 'return "medium"'),
        transform('other', 'return "other"'),
      ],
      edges: [edge('route', 'small', 'small'), edge('route', 'medium', 'medium'), edge('route', 'other', 'default')],
    };
    assert.equal((await driver.run(graph, { n: 5 })).output, 'small');
    assert.equal((await driver.run(graph, { n: 50 })).output, 'medium');
    const big = await driver.run(graph, { n: 500 });
    assert.equal(big.output, 'other');
    assert.equal(nodeOf(big, 'small').status, 'skipped');
  });
});

describe('expressions', () => {
  it('gives a whole-value template its type and interpolates text otherwise, with a flat input scope', async () => {
    const run = await driver.run({
      nodes: [
        node('first', 'core.set', { value: { big: '{{ n > 3 }}', greeting: 'Hello {{ name }}, you are {{ n }}', list: '{{ [n, n * 2] }}' } }),
        node('second', 'core.set', { value: { fromNodes: '{{ $nodes.first.greeting }}', whole: '{{ $input.big }}', runMode: '{{ $run.mode }}', runInput: '{{ $run.input.n }}' } }),
      ],
      edges: [edge('first', 'second')],
    }, { n: 5, name: 'Ada' });
    assert.equal(run.status, 'succeeded', JSON.stringify(run.error));
    assert.deepEqual(nodeOf(run, 'first').output, { big: true, greeting: 'Hello Ada, you are 5', list: [5, 10] });
    assert.deepEqual(run.output, { fromNodes: 'Hello Ada, you are 5', whole: true, runMode: 'test', runInput: 5 });
  });

  it('fails the node with the expression error when an expression throws', async () => {
    const run = await driver.run({ nodes: [node('bad', 'core.set', { value: '{{ missing.field }}' })], edges: [] }, {});
    assert.equal(run.status, 'failed');
    assert.match(nodeOf(run, 'bad').error!.message, /missing/);
  });
});

describe('failures', () => {
  it('retries with exponential backoff, then succeeds', async () => {
    const run = await driver.run({
      nodes: [transform('flaky', 'if (ctx.attempt < 3) throw new Error("flaky " + ctx.attempt); return ctx.attempt', { settings: { retry: { maxAttempts: 3, backoffMs: 150, factor: 2 } } })],
      edges: [],
    });
    assert.equal(run.status, 'succeeded');
    assert.equal(run.output, 3);
    const attempts = nodeOf(run, 'flaky').attempts;
    assert.deepEqual(attempts.map((a) => a.status), ['failed', 'failed', 'succeeded']);
    const gap = (i: number) => new Date(attempts[i + 1]!.startedAt).getTime() - new Date(attempts[i]!.finishedAt!).getTime();
    assert.ok(gap(0) >= 140 && gap(0) < 1000, `first backoff ${gap(0)} ms`);
    assert.ok(gap(1) >= 290 && gap(1) < 1500, `second backoff ${gap(1)} ms`);
  });

  it('fails the run after the last attempt; nodes that can no longer run are skipped, independent branches finish', async () => {
    const run = await driver.run({
      nodes: [transform('broken', 'throw new Error("boom")', { settings: { retry: { maxAttempts: 2, backoffMs: 10 } } }), transform('downstream', 'return 1'), transform('independent', 'return "still ran"')],
      edges: [edge('broken', 'downstream')],
    });
    assert.equal(run.status, 'failed');
    assert.match(run.error!.message, /broken.*boom/);
    assert.equal(nodeOf(run, 'broken').attemptCount, 2);
    assert.equal(nodeOf(run, 'downstream').status, 'skipped');
    assert.equal(nodeOf(run, 'independent').status, 'succeeded');
  });

  it('with continueOnFail, outputs { error: { message } } and the run goes on', async () => {
    const run = await driver.run({
      nodes: [transform('broken', 'throw new Error("tolerated")', { settings: { continueOnFail: true } }), transform('next', 'return input')],
      edges: [edge('broken', 'next')],
    });
    assert.equal(run.status, 'succeeded');
    assert.equal(nodeOf(run, 'broken').status, 'failed');
    const output = run.output as { error: { message: string } };
    assert.deepEqual(Object.keys(output), ['error']);
    assert.match(output.error.message, /^Error: tolerated/);
  });

  it('times a node out after its timeoutMs', async () => {
    const started = Date.now();
    const run = await driver.run({ nodes: [node('wait', 'core.delay', { ms: 10_000 }, { settings: { timeoutMs: 200 } })], edges: [] });
    assert.equal(run.status, 'failed');
    assert.equal(nodeOf(run, 'wait').error!.code, 'timeout');
    assert.ok(Date.now() - started < 5000);
  });

  it('fails a node whose resolved args break its schema', async () => {
    const run = await driver.run({ nodes: [node('wait', 'core.delay', { ms: '{{ "not a number" }}' })], edges: [] });
    assert.equal(run.status, 'failed');
    assert.equal(nodeOf(run, 'wait').error!.code, 'invalid_args');
  });
});

describe('cancel and retry', () => {
  it('cancels a running run: the node stops and the run ends canceled', async () => {
    const pipelineId = await driver.create({ nodes: [node('long', 'core.delay', { ms: 30_000 }), transform('after', 'return 1')], edges: [edge('long', 'after')] });
    const runId = await driver.start(pipelineId);
    await driver.waitFor(runId, (run) => nodeOf(run, 'long').status === 'running');
    const started = Date.now();
    const cancel = await server.request('POST', `/api/runs/${runId}/cancel`, { token: driver.token });
    assert.equal(cancel.status, 202);
    const run = await driver.waitFor(runId);
    assert.equal(run.status, 'canceled');
    assert.ok(Date.now() - started < 3000);
    assert.equal(nodeOf(run, 'long').status, 'canceled');
    assert.equal(nodeOf(run, 'after').status, 'canceled');
    assert.equal((await server.request('POST', `/api/runs/${runId}/cancel`, { token: driver.token })).status, 409);
  });

  it('retries a failed run in a new run that reuses the succeeded outputs', async () => {
    let calls = 0;
    const flaky = createServer((_req, res) => {
      calls++;
      res.statusCode = calls === 1 ? 500 : 200;
      res.end(JSON.stringify({ calls }));
    });
    await new Promise<void>((resolve) => flaky.listen(0, '127.0.0.1', resolve));
    try {
      const url = `http://127.0.0.1:${(flaky.address() as AddressInfo).port}/`;
      const graph = { nodes: [transform('random', 'return Math.random()'), node('call', 'core.http', { method: 'GET', url })], edges: [edge('random', 'call')] };
      const first = await driver.run(graph);
      assert.equal(first.status, 'failed');
      const retry = await server.request('POST', `/api/runs/${first.id}/retry`, { token: driver.token });
      assert.equal(retry.status, 202);
      const second = await driver.waitFor(retry.body.id);
      assert.equal(second.status, 'succeeded');
      assert.equal(nodeOf(second, 'random').output, nodeOf(first, 'random').output, 'the succeeded node was not run again');
      assert.equal(nodeOf(second, 'random').attempts.length, 0);
      assert.equal(calls, 2);
      assert.equal((await server.request('POST', `/api/runs/${second.id}/retry`, { token: driver.token })).status, 409);
    } finally {
      flaky.close();
    }
  });
});

describe('scale, logs and artifacts', () => {
  it('runs a 50-node graph', async () => {
    const nodes = Array.from({ length: 50 }, (_, i) => transform(`n${i}`, 'return input + 1'));
    const edges = nodes.slice(1).map((_, i) => edge(`n${i}`, `n${i + 1}`));
    const run = await driver.run({ nodes, edges }, 0);
    assert.equal(run.status, 'succeeded');
    assert.equal(run.output, 50);
    assert.equal(run.nodes.filter((n) => n.status === 'succeeded').length, 50);
  });

  it('stores log lines and files per node attempt, readable through the API', async () => {
    const run = await driver.run({ nodes: [node('write', 'test.writeFile', { name: 'report.txt', text: 'hello {{ who }}' })], edges: [] }, { who: 'world' });
    assert.equal(run.status, 'succeeded', JSON.stringify(run.error));
    const logs = await server.request('GET', `/api/runs/${run.id}/logs?nodeId=write`, { token: driver.token });
    assert.deepEqual(logs.body.map((line: { line: string; attempt: number; stream: string }) => [line.line, line.attempt, line.stream]), [['writing report.txt', 1, 'info']]);
    const file = (run.output as { file: { id: string; size: number } }).file;
    const download = await server.request('GET', `/api/runs/${run.id}/artifacts/${file.id}`, { token: driver.token });
    assert.equal(download.status, 200);
    assert.equal(download.body, 'hello world');
    assert.match(download.headers.get('content-disposition') ?? '', /report\.txt/);
  });

  it('lets a node read a file an earlier node of the run wrote, and no other run\'s', async () => {
    const run = await driver.run({
      nodes: [node('write', 'test.writeFile', { name: 'in.txt', text: 'from {{ who }}' }), node('read', 'test.readFile', { file: '{{ file }}' })],
      edges: [edge('write', 'read')],
    }, { who: 'the first node' });
    assert.equal(run.status, 'succeeded', JSON.stringify(run.error));
    assert.deepEqual(run.output, { name: 'in.txt', contentType: 'text/plain', size: 19, text: 'from the first node' });
    const otherRunsFile = (nodeOf(run, 'write').output as { file: { id: string } }).file.id;
    const stranger = await driver.run({ nodes: [node('read', 'test.readFile', { file: otherRunsFile })], edges: [] });
    assert.equal(stranger.status, 'failed');
    assert.match(nodeOf(stranger, 'read').error?.message ?? '', /This run has no artifact/);
  });
});
