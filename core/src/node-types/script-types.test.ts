/** Script node types defined in the browser: versions, per-org visibility, runs in containers. */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { dockerSkip } from '../testing/docker.js';
import { startTestServer, type TestServer } from '../testing/harness.js';
import { edge, node, nodeOf, PipelineDriver } from '../testing/pipelines.js';

const skip = await dockerSkip('script-types.test.ts');

let server: TestServer;
let admin: string;
let driver: PipelineDriver;

before(async () => {
  server = await startTestServer();
  admin = await server.login('admin@acme.test');
  driver = new PipelineDriver(server, admin);
});
after(() => server?.close());

async function define(body: Record<string, unknown>, token = admin, expected = 201) {
  const response = await server.request('POST', '/api/node-types', { token, body });
  assert.equal(response.status, expected, JSON.stringify(response.body));
  return response.body;
}

const typeName = () => `acme.script${randomUUID().slice(0, 8)}`;
const multiply = (factor: string) => `def main(input, args):\n    return {"n": input["n"] * args["factor"] * ${factor}}`;

describe('script node types defined in the browser', () => {
  it('lists a new type for its org only, versioned on each change', async () => {
    const type = typeName();
    const first = await define({ type, name: 'Multiply', language: 'python', code: multiply('1'), argsSchema: { type: 'object', properties: { factor: { type: 'integer', default: 2 } } } });
    assert.equal(first.version, '1.0.0');
    const second = await define({ type, name: 'Multiply', language: 'python', code: multiply('10') });
    assert.equal(second.version, '2.0.0');

    const manager = await server.login('manager@acme.test');
    const listed = (await server.request('GET', '/api/node-types', { token: manager })).body.filter((t: { type: string }) => t.type === type);
    assert.deepEqual(listed.map((t: { version: string }) => t.version), ['1.0.0', '2.0.0']);
    assert.equal(listed[0].runtime, 'container');
    assert.deepEqual(listed[0].argsSchema.properties.factor, { type: 'integer', default: 2 });

    const beta = await server.login('admin@beta.test');
    assert.ok(!(await server.request('GET', '/api/node-types', { token: beta })).body.some((t: { type: string }) => t.type === type));
    const betaGroups = (await server.request('GET', '/api/groups', { token: beta })).body;
    const refused = await server.request('POST', '/api/pipelines', { token: beta, body: { name: 'steal', groupId: betaGroups[0].id, graph: { nodes: [node('x', type)], edges: [] } } });
    assert.equal(refused.status, 400, 'another org cannot use it');
  });

  it('refuses the names of built-in and plugin node types', async () => {
    await define({ type: 'core.transform', name: 'Mine', language: 'bash', code: 'cat' }, admin, 409);
    await define({ type: 'core.myOwn', name: 'Mine', language: 'bash', code: 'cat' }, admin, 409);
  });

  it('runs in a container, and pipelines keep the version they pinned', { skip }, async () => {
    const type = typeName();
    await define({ type, name: 'Multiply', language: 'python', code: multiply('1'), argsSchema: { type: 'object', properties: { factor: { type: 'integer', default: 2 } } } });
    const pinned = await driver.create({ nodes: [node('m', type, { factor: 3 })], edges: [] });
    const stored = (await server.request('GET', `/api/pipelines/${pinned}`, { token: admin })).body;
    assert.equal(stored.graph.nodes[0].data.version, '1.0.0');
    await define({ type, name: 'Multiply', language: 'python', code: multiply('10'), argsSchema: { type: 'object', properties: { factor: { type: 'integer', default: 2 } } } });

    const old = await driver.waitFor(await driver.start(pinned, { mode: 'test', input: { n: 7 } }));
    assert.equal(old.status, 'succeeded', JSON.stringify(old.error));
    assert.deepEqual(old.output, { n: 21 });
    const fresh = await driver.run({ nodes: [node('m', type)], edges: [] }, { n: 7 });
    assert.deepEqual(fresh.output, { n: 140 }, 'a new node takes the newest version and its defaults');
  });

  it('branches on the handle a script with several outputs returns, and passes the credential as environment', { skip }, async () => {
    const type = typeName();
    const code = [
      'const token = process.env.CREDENTIAL_TOKEN;',
      'export default async (input) => ({ handle: input.n % 2 === 0 ? "even" : "odd", output: { n: input.n, tokenLength: token.length } });',
    ].join('\n');
    await define({ type, name: 'Parity', language: 'javascript', code, outputs: ['even', 'odd'] });
    const credential = await server.request('POST', '/api/credentials', { token: admin, body: { name: `t-${randomUUID()}`, type: 'core.httpAuth', data: { kind: 'bearer', token: 'sixteen-chars-ok' } } });
    const graph = {
      nodes: [node('parity', type, {}, { credentialId: credential.body.id }), node('even', 'core.set', { value: 'even' }), node('odd', 'core.set', { value: 'odd' })],
      edges: [edge('parity', 'even', 'even'), edge('parity', 'odd', 'odd')],
    };
    const run = await driver.run(graph, { n: 3 });
    assert.equal(run.status, 'succeeded', JSON.stringify(run.error));
    assert.equal(nodeOf(run, 'odd').status, 'succeeded');
    assert.equal(nodeOf(run, 'even').status, 'skipped');
    assert.deepEqual(nodeOf(run, 'parity').output, { n: 3, tokenLength: 16 });
  });
});
