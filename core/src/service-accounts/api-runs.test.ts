/** Service accounts start runs of their groups' pipelines through the API, read those runs, and nothing else. */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startTestServer, type TestServer } from '../testing/harness.js';
import { node, PipelineDriver } from '../testing/pipelines.js';

let server: TestServer;
let admin: string;
let token: string;
let inGroup: string;
let outOfGroup: string;

const graph = { nodes: [node('double', 'core.transform', { code: 'return { n: input.n * 2 }' })], edges: [] };

before(async () => {
  server = await startTestServer();
  admin = await server.login('admin@acme.test');
  const driver = new PipelineDriver(server, admin);
  const groups = (await server.request('GET', '/api/groups', { token: admin })).body;
  const other = (await server.request('POST', '/api/groups', { token: admin, body: { name: 'elsewhere' } })).body;
  inGroup = await driver.create(graph, { groupId: groups[0].id });
  outOfGroup = await driver.create(graph, { groupId: other.id });
  for (const id of [inGroup, outOfGroup]) assert.equal((await server.request('POST', `/api/pipelines/${id}/versions`, { token: admin })).status, 201);
  token = (await server.request('POST', '/api/service-accounts', { token: admin, body: { name: 'runner', groupIds: [groups[0].id] } })).body.token;
});
after(() => server.close());

describe('runs started by a service account', () => {
  it('starts a production run of a pipeline in its groups and reads it, with the api trigger', async () => {
    const started = await server.request('POST', `/api/pipelines/${inGroup}/runs`, { token, body: { mode: 'production', input: { n: 21 } } });
    assert.equal(started.status, 202, JSON.stringify(started.body));
    const driver = new PipelineDriver(server, token);
    const run = await driver.waitFor(started.body.id);
    assert.equal(run.status, 'succeeded');
    assert.deepEqual(run.output, { n: 42 });
    const row = await server.services.db('runs').where({ id: run.id }).first();
    assert.equal(row.trigger, 'api');
    assert.equal(row.createdByType, 'service');
    const listed = await server.request('GET', '/api/runs', { token });
    assert.deepEqual(listed.body.items.map((item: { id: string }) => item.id), [run.id]);
  });

  it('cannot run pipelines outside its groups, nor read runs it did not start, nor reach anything else', async () => {
    assert.equal((await server.request('POST', `/api/pipelines/${outOfGroup}/runs`, { token, body: { mode: 'production' } })).status, 404);
    const adminRun = await server.request('POST', `/api/pipelines/${inGroup}/runs`, { token: admin, body: { mode: 'test' } });
    assert.equal((await server.request('GET', `/api/runs/${adminRun.body.id}`, { token })).status, 404);
    for (const [method, path] of [
      ['GET', '/api/pipelines'],
      ['GET', `/api/pipelines/${inGroup}`],
      ['PUT', `/api/pipelines/${inGroup}/graph`],
      ['GET', '/api/credentials'],
      ['GET', '/api/users'],
      ['GET', '/api/node-types'],
    ] as const) {
      const response = await server.request(method, path, { token, body: method === 'PUT' ? { graph } : undefined });
      assert.ok([403, 404].includes(response.status), `${method} ${path} answered ${response.status}`);
    }
  });
});
