/**
 * Credentials: envelope encryption at rest, masking, access by role and group, resolution into
 * handlers (the node's own, else the org's default) and redaction of their secrets everywhere.
 */
import assert from 'node:assert/strict';
import { randomBytes, randomUUID } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { PassThrough } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { startTestServer, type TestServer } from '../testing/harness.js';
import { edge, node, nodeOf, PipelineDriver } from '../testing/pipelines.js';
import { CredentialDecryptionError, open, seal } from './envelope.js';
import { rotateMasterKey } from './rotation.js';

const SECRET = `tok-${randomUUID()}`;
let server: TestServer;
let admin: string;
let manager: string;
let driver: PipelineDriver;
let defaultGroup: string;
let logText = '';
let echo: http.Server;
let echoUrl: string;
const received: string[] = [];

before(async () => {
  const logs = new PassThrough();
  logs.on('data', (chunk) => (logText += chunk.toString()));
  server = await startTestServer({ logLevel: 'debug' }, { logs });
  admin = await server.login('admin@acme.test');
  manager = await server.login('manager@acme.test');
  driver = new PipelineDriver(server, admin);
  defaultGroup = (await call('GET', '/api/groups')).find((group: { name: string }) => group.name === 'default').id;
  echo = http.createServer((req, res) => {
    received.push(req.headers.authorization ?? '');
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify({ youSent: req.headers.authorization ?? null }));
  });
  await new Promise<void>((resolve) => echo.listen(0, '127.0.0.1', resolve));
  echoUrl = `http://127.0.0.1:${(echo.address() as AddressInfo).port}/echo`;
});
after(async () => {
  echo?.close();
  await server?.close();
});

async function call(method: string, path: string, body?: unknown, token = admin, expected?: number) {
  const response = await server.request(method, path, { token, body });
  if (expected !== undefined) assert.equal(response.status, expected, `${method} ${path}: ${JSON.stringify(response.body)}`);
  else assert.ok(response.status < 300, `${method} ${path}: ${response.status} ${JSON.stringify(response.body)}`);
  return response.body;
}

const bearer = (name: string, token = SECRET, extra: Record<string, unknown> = {}) =>
  call('POST', '/api/credentials', { name: `${name}-${randomUUID().slice(0, 6)}`, type: 'core.httpAuth', data: { kind: 'bearer', token }, ...extra });

/** Every text the server keeps about runs, as one string to search for a literal secret. */
async function everythingStored(): Promise<string> {
  const db = server.services.db;
  const tables = ['runs', 'nodeRuns', 'nodeAttempts', 'runLogs', 'auditEvents', 'pipelines', 'pipelineVersions'];
  const rows = await Promise.all(tables.map((table) => db(table).select()));
  return JSON.stringify(rows);
}

describe('encryption at rest', () => {
  it('keeps no secret in clear in the database, and a dump without the master key decrypts nothing', async () => {
    const credential = await bearer('dump');
    const row = await server.services.db('credentials').where({ id: credential.id }).first();
    assert.ok(!JSON.stringify(row).includes(SECRET));
    assert.ok(!row.ciphertext.toString('latin1').includes(SECRET));
    assert.throws(() => open(randomBytes(32), row, row), CredentialDecryptionError);
    const masterKey = Buffer.from(server.config.masterKey!, 'base64');
    assert.equal(open(masterKey, row, row).token, SECRET);
  });

  it('refuses a ciphertext moved to another row or another org', async () => {
    const first = await bearer('first');
    const second = await bearer('second', 'another-secret');
    const db = server.services.db;
    const source = await db('credentials').where({ id: first.id }).first();
    const masterKey = Buffer.from(server.config.masterKey!, 'base64');
    assert.throws(() => open(masterKey, { orgId: source.orgId, id: second.id }, source), CredentialDecryptionError, 'another row');
    const betaOrg = (await db('orgs').where({ slug: 'beta' }).first()).id;
    assert.throws(() => open(masterKey, { orgId: betaOrg, id: first.id }, source), CredentialDecryptionError, 'another org');
    // The same through the API: the moved row no longer reads, and says so instead of failing.
    await db('credentials').where({ id: second.id }).update({ ciphertext: source.ciphertext, iv: source.iv, authTag: source.authTag, wrappedKey: source.wrappedKey });
    const moved = await call('GET', `/api/credentials/${second.id}`);
    assert.equal(moved.data, null);
    assert.match(moved.error, /cannot be decrypted/);
    await call('DELETE', `/api/credentials/${second.id}`);
  });

  it('rotates the master key: every credential still decrypts, under the new key only', async () => {
    const credential = await bearer('rotated');
    const oldKey = Buffer.from(server.config.masterKey!, 'base64');
    const newKey = randomBytes(32);
    const db = server.services.db;
    const count = (await db('credentials').count<{ count: string }[]>('* as count'))[0]!.count;
    const { credentials } = await rotateMasterKey(db, oldKey, newKey);
    assert.equal(credentials, Number(count));
    for (const row of await db('credentials')) {
      assert.doesNotThrow(() => open(newKey, row, row), `credential ${row.name} decrypts after the rotation`);
      assert.throws(() => open(oldKey, row, row), CredentialDecryptionError);
    }
    const row = await db('credentials').where({ id: credential.id }).first();
    assert.equal(open(newKey, row, row).token, SECRET);
    await assert.rejects(rotateMasterKey(db, oldKey, randomBytes(32)), /does not match/, 'the old key can no longer rotate');
    await rotateMasterKey(db, newKey, oldKey);
  });

  it('seals the same data differently each time', () => {
    const key = randomBytes(32);
    const identity = { orgId: randomUUID(), id: randomUUID() };
    const a = seal(key, identity, { token: 'x' });
    const b = seal(key, identity, { token: 'x' });
    assert.notDeepEqual(a.ciphertext, b.ciphertext);
    assert.notDeepEqual(a.wrappedKey, b.wrappedKey);
  });
});

describe('the credentials API', () => {
  it('masks secret fields, keeps a masked secret sent back, and validates data against the type', async () => {
    const created = await call('POST', '/api/credentials', { name: `basic-${randomUUID().slice(0, 6)}`, type: 'core.httpAuth', data: { kind: 'basic', username: 'ann', password: SECRET } }, admin, 201);
    assert.deepEqual(created.data, { kind: 'basic', username: 'ann', password: '********' });
    const listed = (await call('GET', '/api/credentials?type=core.httpAuth')).find((c: { id: string }) => c.id === created.id);
    assert.deepEqual(listed.data, created.data);

    const renamed = await call('PATCH', `/api/credentials/${created.id}`, { data: { kind: 'basic', username: 'bob', password: '********' } });
    assert.deepEqual(renamed.data, { kind: 'basic', username: 'bob', password: '********' });
    const row = await server.services.db('credentials').where({ id: created.id }).first();
    assert.equal(open(Buffer.from(server.config.masterKey!, 'base64'), row, row).password, SECRET, 'the masked secret kept its value');

    const wrong = await server.request('PATCH', `/api/credentials/${created.id}`, { token: admin, body: { data: { kind: 'header', headerName: 'X-Key' } } });
    assert.equal(wrong.status, 400);
    assert.ok(wrong.body.error.details.length > 0);
    const test = await call('POST', `/api/credentials/${created.id}/test`);
    assert.equal(test.ok, true);
    assert.equal(typeof test.message, 'string');
  });

  it('lets managers keep their groups’ credentials and use, not change, the org-wide ones', async () => {
    const orgWide = await bearer('org-wide');
    const otherGroup = await call('POST', '/api/groups', { name: `other-${randomUUID().slice(0, 6)}` });
    const elsewhere = await bearer('elsewhere', SECRET, { groupId: otherGroup.id });

    const mine = await call('POST', '/api/credentials', { name: `mine-${randomUUID().slice(0, 6)}`, type: 'core.httpAuth', data: { kind: 'bearer', token: 't0k3n' }, groupId: defaultGroup }, manager, 201);
    const visible = (await call('GET', '/api/credentials', undefined, manager)).map((c: { id: string }) => c.id);
    assert.ok(visible.includes(mine.id) && visible.includes(orgWide.id));
    assert.ok(!visible.includes(elsewhere.id));
    await call('GET', `/api/credentials/${elsewhere.id}`, undefined, manager, 404);
    await call('PATCH', `/api/credentials/${orgWide.id}`, { name: 'taken over' }, manager, 403);
    await call('DELETE', `/api/credentials/${orgWide.id}`, undefined, manager, 403);
    await call('POST', '/api/credentials', { name: 'no group', type: 'core.httpAuth', data: { kind: 'bearer', token: 'x1x' } }, manager, 400);
    await call('POST', '/api/credentials', { name: 'their group', type: 'core.httpAuth', data: { kind: 'bearer', token: 'x1x' }, groupId: otherGroup.id }, manager, 400);
    await call('PATCH', `/api/credentials/${mine.id}`, { name: `mine-renamed-${randomUUID().slice(0, 6)}` }, manager, 200);
    await call('DELETE', `/api/credentials/${mine.id}`, undefined, manager, 204);
  });
});

describe('credentials in runs', () => {
  const httpNode = (credentialId?: string) => node('call', 'core.http', { method: 'GET', url: echoUrl }, credentialId ? { credentialId } : {});

  it('hands the decrypted credential to the handler and keeps its secret out of outputs, logs, records and API answers', async () => {
    const credential = await bearer('echo');
    const graph = {
      nodes: [
        httpNode(credential.id),
        node('log', 'core.transform', { code: 'ctx; return { seen: input.body.youSent, again: input.body.youSent + "!" }' }),
      ],
      edges: [edge('call', 'log')],
    };
    received.length = 0;
    const pipelineId = await driver.create(graph);
    const run = await driver.waitFor(await driver.start(pipelineId));
    assert.equal(run.status, 'succeeded', JSON.stringify(run.error));
    assert.deepEqual(received, [`Bearer ${SECRET}`], 'the handler received the secret');
    assert.deepEqual(run.output, { seen: 'Bearer ********', again: 'Bearer ********!' });

    const answers = [
      await server.request('GET', `/api/runs/${run.id}`, { token: admin }),
      await server.request('GET', `/api/runs/${run.id}/logs`, { token: admin }),
      await server.request('GET', `/api/credentials/${credential.id}`, { token: admin }),
      await server.request('GET', '/api/credentials', { token: admin }),
      await server.request('GET', `/api/audit?limit=500`, { token: admin }),
    ];
    for (const answer of answers) assert.ok(!JSON.stringify(answer.body).includes(SECRET), 'no API answer holds the secret');
    assert.ok(!(await everythingStored()).includes(SECRET), 'no run record, log line or audit event holds the secret');
    assert.ok(logText.length > 0 && !logText.includes(SECRET), 'no server log line holds the secret');
  });

  it("uses the org's default credential of the wanted type when the node names none", async () => {
    const fallback = await bearer('default', `default-${SECRET}`);
    await call('PATCH', `/api/credentials/${fallback.id}`, { isDefault: true });
    received.length = 0;
    const run = await driver.run({ nodes: [httpNode()], edges: [] });
    assert.equal(run.status, 'succeeded', JSON.stringify(run.error));
    assert.deepEqual(received, [`Bearer default-${SECRET}`]);
    const second = await bearer('second-default', 'x'.repeat(12), { isDefault: true });
    const defaults = (await call('GET', '/api/credentials?type=core.httpAuth')).filter((c: { isDefault: boolean }) => c.isDefault);
    assert.deepEqual(defaults.map((c: { id: string }) => c.id), [second.id], 'one default per type');
    await call('PATCH', `/api/credentials/${second.id}`, { isDefault: false });
  });

  it('refuses a credential of another group, of the wrong type, or a deleted one', async () => {
    const otherGroup = await call('POST', '/api/groups', { name: `g-${randomUUID().slice(0, 6)}` });
    const foreign = await bearer('foreign', SECRET, { groupId: otherGroup.id });
    const pipelineId = await driver.create({ nodes: [httpNode()], edges: [] });
    const save = await server.request('PUT', `/api/pipelines/${pipelineId}/graph`, { token: admin, body: { graph: { nodes: [httpNode(foreign.id)], edges: [] } } });
    assert.equal(save.status, 200, 'a draft may name it');
    const validation = await call('POST', `/api/pipelines/${pipelineId}/validate`);
    assert.deepEqual(validation.errors.map((e: { code: string }) => e.code), ['credential_not_found']);
    await call('POST', `/api/pipelines/${pipelineId}/runs`, { mode: 'test' }, admin, 400);

    const webhookSecret = await call('POST', '/api/credentials', { name: `whsec-${randomUUID().slice(0, 6)}`, type: 'core.webhookSecret', data: { secret: `whsec_${randomBytes(24).toString('base64')}` } });
    await call('PUT', `/api/pipelines/${pipelineId}/graph`, { graph: { nodes: [httpNode(webhookSecret.id)], edges: [] } });
    assert.deepEqual((await call('POST', `/api/pipelines/${pipelineId}/validate`)).errors.map((e: { code: string }) => e.code), ['credential_type_mismatch']);

    // Deleted between the start of a run and its node: the node fails with a clear error.
    const doomed = await bearer('doomed');
    const slow = await driver.create({ nodes: [node('wait', 'core.delay', { ms: 300 }), httpNode(doomed.id)], edges: [edge('wait', 'call')] });
    const runId = await driver.start(slow);
    await call('DELETE', `/api/credentials/${doomed.id}`);
    const run = await driver.waitFor(runId);
    assert.equal(run.status, 'failed');
    assert.equal(nodeOf(run, 'call').error?.code, 'credential_not_found');
  });
});
