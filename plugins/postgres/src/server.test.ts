/** The plugin inside a real Piper server: a stored credential, a pipeline, a run. */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startTestServer, type TestServer } from '../../../core/src/testing/harness.js';
import { node, nodeOf, PipelineDriver } from '../../../core/src/testing/pipelines.js';
import plugin, { closePools } from './index.js';
import { createScratchDatabase, type ScratchDatabase } from './scratch-database.test-helper.js';

let server: TestServer;
let driver: PipelineDriver;
let scratch: ScratchDatabase;
let credentialId: string;

before(async () => {
  scratch = await createScratchDatabase();
  server = await startTestServer();
  // First-party plugins are always present once the server loads them; until then, register this one.
  if (!server.services.registry.latest('postgres.query')) server.services.registry.register(plugin);
  driver = new PipelineDriver(server, await server.login('admin@acme.test'));
  const created = await server.request('POST', '/api/credentials', { token: driver.token, body: { name: 'warehouse', type: 'postgres.connection', data: scratch.credentials } });
  assert.equal(created.status, 201, JSON.stringify(created.body));
  credentialId = created.body.id;
});
after(async () => {
  await server?.close();
  await closePools();
  await scratch?.drop();
});

describe('@piper/plugin-postgres in a Piper server', () => {
  it('lists its node type and credential type', async () => {
    const types = await server.request('GET', '/api/node-types', { token: driver.token });
    assert.ok(types.body.some((type: { type: string; credential: { type: string } }) => type.type === 'postgres.query' && type.credential.type === 'postgres.connection'));
    const credentialTypes = await server.request('GET', '/api/credential-types', { token: driver.token });
    const connection = credentialTypes.body.find((type: { type: string }) => type.type === 'postgres.connection');
    assert.deepEqual([...connection.secretFields].sort(), ['connectionString', 'password']);
  });

  it('tests the stored credential, and never shows its password', async () => {
    const tested = await server.request('POST', `/api/credentials/${credentialId}/test`, { token: driver.token });
    assert.equal(tested.status, 200);
    assert.equal(tested.body.ok, true, tested.body.message);
    const shown = await server.request('GET', `/api/credentials/${credentialId}`, { token: driver.token });
    assert.ok(!JSON.stringify(shown.body).includes(scratch.credentials.password));
  });

  it('runs a parameterised query from a pipeline with the stored credential', async () => {
    const run = await driver.run(
      {
        nodes: [
          node('create', 'postgres.query', { sql: 'create table if not exists visits (who text, at timestamptz default now())' }, { credentialId }),
          node('insert', 'postgres.query', { sql: 'insert into visits (who) values ($1), ($2) returning who', parameters: ['{{ $run.input.who }}', "o'hara"] }, { credentialId }),
          node('count', 'postgres.query', { sql: 'select count(*) from visits where who = any($1)', parameters: ['{{ $nodes.insert.rows.map(r => r.who) }}'], mode: 'value' }, { credentialId }),
        ],
        edges: [
          { id: 'e1', source: 'create', target: 'insert' },
          { id: 'e2', source: 'insert', target: 'count' },
        ],
      },
      { who: 'ann' },
    );
    assert.equal(run.status, 'succeeded', JSON.stringify(run.error ?? run.nodes.map((n) => n.error)));
    assert.deepEqual(nodeOf(run, 'insert').output, { rows: [{ who: 'ann' }, { who: "o'hara" }], rowCount: 2, command: 'INSERT', columns: ['who'] }, JSON.stringify(nodeOf(run, 'insert').output));
    assert.equal(run.output, 2);
    const logs = await server.request('GET', `/api/runs/${run.id}/logs`, { token: driver.token });
    const everything = JSON.stringify([run, logs.body]);
    assert.ok(!everything.includes(scratch.credentials.password), 'the password is in no output or log');
  });

  it('fails the run with PostgreSQL\'s message', async () => {
    const run = await driver.run({ nodes: [node('bad', 'postgres.query', { sql: 'select * from missing_table' }, { credentialId })], edges: [] });
    assert.equal(run.status, 'failed');
    assert.match(nodeOf(run, 'bad').error?.message ?? '', /PostgreSQL error 42P01: relation "missing_table" does not exist/);
  });

  it('refuses to run a query node that has no credential', async () => {
    const pipelineId = await driver.create({ nodes: [node('q', 'postgres.query', { sql: 'select 1' })], edges: [] });
    const response = await server.request('POST', `/api/pipelines/${pipelineId}/runs`, { token: driver.token, body: { mode: 'test' } });
    assert.equal(response.status, 400);
    assert.equal(response.body.error.details.errors[0].code, 'credential_required');
  });
});
