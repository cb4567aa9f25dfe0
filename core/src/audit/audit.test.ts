import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import * as tar from 'tar';
import { DEMO_PASSWORD } from '../seed/demo.js';
import { startTestServer, type TestServer } from '../testing/harness.js';
import { PipelineDriver } from '../testing/pipelines.js';

let server: TestServer;
let admin: string;
let adminId: string;
const unique = () => randomUUID().slice(0, 8);

before(async () => {
  server = await startTestServer();
  admin = await server.login('admin@acme.test');
  adminId = (await server.request('GET', '/api/auth/me', { token: admin })).body.user.id;
});
after(() => server.close());

async function call(method: string, path: string, body?: unknown, token: string | null = admin) {
  const response = await server.request(method, path, { token, body });
  assert.ok(response.status < 300, `${method} ${path}: ${response.status} ${JSON.stringify(response.body)}`);
  return response.body;
}

const newUser = (role = 'client', password = DEMO_PASSWORD) =>
  call('POST', '/api/users', { email: `u-${unique()}@acme.test`, name: 'U', password, role });

async function latestAudit() {
  return server.services.db('auditEvents').orderBy('seq', 'desc').first();
}

interface Expectation {
  action: string;
  entityType: string;
  /** Performs the mutation; returns the id of the entity it touched, and any secret that must not be logged. */
  run(): Promise<{ entityId: string; secret?: string }>;
}

const SECRET_PASSWORD = 'a-very-secret-password';

/** Uploads a minimal plugin package of its own name. */
async function uploadPlugin() {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'piper-audit-plugin-'));
  const name = `audited-${unique()}`;
  await fs.mkdir(path.join(dir, 'package'));
  await fs.writeFile(path.join(dir, 'package', 'package.json'), JSON.stringify({ name, version: '1.0.0', type: 'module', piper: { plugin: 'index.js' } }));
  const type = `audited.n${unique()}`;
  await fs.writeFile(path.join(dir, 'package', 'index.js'), `export default { id: '${name}', version: '1.0.0', nodes: [{ type: '${type}', version: '1.0.0', name: 'N', args: { type: 'object' }, handler: () => 1 }] };`);
  await tar.c({ gzip: true, cwd: dir, file: path.join(dir, 'plugin.tgz') }, ['package']);
  const form = new FormData();
  form.set('file', new Blob([await fs.readFile(path.join(dir, 'plugin.tgz'))]), 'plugin.tgz');
  const response = await fetch(`${server.url}/api/plugins`, { method: 'POST', headers: { authorization: `Bearer ${admin}` }, body: form });
  await fs.rm(dir, { recursive: true, force: true });
  assert.equal(response.status, 201);
  return (await response.json()) as { id: string };
}
const CREDENTIAL_SECRET = 'a-very-secret-api-token';
const newCredential = () => call('POST', '/api/credentials', { name: `c-${unique()}`, type: 'core.httpAuth', data: { kind: 'bearer', token: CREDENTIAL_SECRET } });

/** Every mutating route and the audit event it must write; a new mutating route must be added here. */
const MUTATIONS: Record<string, Expectation | 'not a mutation'> = {
  'POST /api/auth/login': {
    action: 'auth.login',
    entityType: 'session',
    run: async () => {
      const user = await newUser('client', SECRET_PASSWORD);
      const login = await call('POST', '/api/auth/login', { email: user.email, password: SECRET_PASSWORD }, null);
      const claims = JSON.parse(Buffer.from(login.token.split('.')[1], 'base64url').toString());
      return { entityId: claims.jti, secret: SECRET_PASSWORD };
    },
  },
  'POST /api/auth/refresh': 'not a mutation',
  'POST /api/auth/logout': {
    action: 'auth.logout',
    entityType: 'session',
    run: async () => {
      const token = await server.login('client2@acme.test');
      await call('POST', '/api/auth/logout', undefined, token);
      return { entityId: JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString()).jti };
    },
  },
  'POST /api/auth/password': {
    action: 'auth.password_changed',
    entityType: 'user',
    run: async () => {
      const user = await newUser('manager');
      const token = await server.login(user.email);
      await call('POST', '/api/auth/password', { currentPassword: DEMO_PASSWORD, newPassword: SECRET_PASSWORD }, token);
      return { entityId: user.id, secret: SECRET_PASSWORD };
    },
  },
  'POST /api/auth/forgot': {
    action: 'auth.password_reset_requested',
    entityType: 'user',
    run: async () => {
      const user = await newUser();
      await call('POST', '/api/auth/forgot', { email: user.email }, null);
      return { entityId: user.id };
    },
  },
  'POST /api/auth/reset': {
    action: 'auth.password_reset',
    entityType: 'user',
    run: async () => {
      const user = await newUser();
      await call('POST', '/api/auth/forgot', { email: user.email }, null);
      const mail = (await call('GET', '/api/outbox')).find((email: { to: string }) => email.to === user.email);
      const token = /The reset token is: (\S+)/.exec(mail.body)![1]!;
      await call('POST', '/api/auth/reset', { token, newPassword: SECRET_PASSWORD }, null);
      return { entityId: user.id, secret: token };
    },
  },
  'POST /api/users': {
    action: 'user.created',
    entityType: 'user',
    run: async () => ({ entityId: (await newUser('client', SECRET_PASSWORD)).id, secret: SECRET_PASSWORD }),
  },
  'PATCH /api/users/:id': {
    action: 'user.updated',
    entityType: 'user',
    run: async () => {
      const user = await newUser();
      await call('PATCH', `/api/users/${user.id}`, { name: 'Renamed', role: 'manager' });
      return { entityId: user.id };
    },
  },
  'DELETE /api/users/:id': {
    action: 'user.deleted',
    entityType: 'user',
    run: async () => {
      const user = await newUser();
      await call('DELETE', `/api/users/${user.id}`);
      return { entityId: user.id };
    },
  },
  'PUT /api/users/:id/clients': {
    action: 'user.clients_assigned',
    entityType: 'user',
    run: async () => {
      const manager = await newUser('manager');
      const client = await newUser('client');
      await call('PUT', `/api/users/${manager.id}/clients`, { clientIds: [client.id] });
      return { entityId: manager.id };
    },
  },
  'POST /api/groups': {
    action: 'group.created',
    entityType: 'group',
    run: async () => ({ entityId: (await call('POST', '/api/groups', { name: `g-${unique()}` })).id }),
  },
  'PATCH /api/groups/:id': {
    action: 'group.updated',
    entityType: 'group',
    run: async () => {
      const group = await call('POST', '/api/groups', { name: `g-${unique()}` });
      await call('PATCH', `/api/groups/${group.id}`, { description: 'Described' });
      return { entityId: group.id };
    },
  },
  'DELETE /api/groups/:id': {
    action: 'group.deleted',
    entityType: 'group',
    run: async () => {
      const group = await call('POST', '/api/groups', { name: `g-${unique()}` });
      await call('DELETE', `/api/groups/${group.id}`);
      return { entityId: group.id };
    },
  },
  'PUT /api/groups/:id/members': {
    action: 'group.members_set',
    entityType: 'group',
    run: async () => {
      const group = await call('POST', '/api/groups', { name: `g-${unique()}` });
      await call('PUT', `/api/groups/${group.id}/members`, { userIds: [adminId] });
      return { entityId: group.id };
    },
  },
  'POST /api/service-accounts': {
    action: 'service_account.created',
    entityType: 'service_account',
    run: async () => {
      const account = await call('POST', '/api/service-accounts', { name: `sa-${unique()}`, groupIds: [] });
      return { entityId: account.id, secret: account.token };
    },
  },
  'DELETE /api/service-accounts/:id': {
    action: 'service_account.revoked',
    entityType: 'service_account',
    run: async () => {
      const account = await call('POST', '/api/service-accounts', { name: `sa-${unique()}`, groupIds: [] });
      await call('DELETE', `/api/service-accounts/${account.id}`);
      return { entityId: account.id, secret: account.token };
    },
  },
  'POST /api/orgs': {
    action: 'org.created',
    entityType: 'org',
    run: async () => {
      const org = await call('POST', '/api/orgs', { slug: `org-${unique()}`, name: 'Org', admin: { email: `a-${unique()}@org.test`, name: 'A', password: SECRET_PASSWORD } });
      return { entityId: org.id, secret: SECRET_PASSWORD };
    },
  },
};

const SET_GRAPH = { nodes: [{ id: 'set', type: 'core.set', data: { args: { value: 1 } } }], edges: [] };
async function newPipeline(graph: unknown = SET_GRAPH) {
  const groupId = (await call('GET', '/api/groups'))[0].id;
  return call('POST', '/api/pipelines', { name: `p-${unique()}`, groupId, graph });
}
async function finishedRun(graph: unknown) {
  const pipeline = await newPipeline(graph);
  const run = await call('POST', `/api/pipelines/${pipeline.id}/runs`, { mode: 'test' });
  return new PipelineDriver(server, admin).waitFor(run.id);
}

Object.assign(MUTATIONS, {
  'POST /api/pipelines': { action: 'pipeline.created', entityType: 'pipeline', run: async () => ({ entityId: (await newPipeline()).id }) },
  'PUT /api/pipelines/:id/graph': {
    action: 'pipeline.graph_saved',
    entityType: 'pipeline',
    run: async () => {
      const pipeline = await newPipeline();
      await call('PUT', `/api/pipelines/${pipeline.id}/graph`, { graph: { nodes: [], edges: [] } });
      return { entityId: pipeline.id };
    },
  },
  'PATCH /api/pipelines/:id': {
    action: 'pipeline.updated',
    entityType: 'pipeline',
    run: async () => {
      const pipeline = await newPipeline();
      await call('PATCH', `/api/pipelines/${pipeline.id}`, { enabled: false });
      return { entityId: pipeline.id };
    },
  },
  'DELETE /api/pipelines/:id': {
    action: 'pipeline.deleted',
    entityType: 'pipeline',
    run: async () => {
      const pipeline = await newPipeline();
      await call('DELETE', `/api/pipelines/${pipeline.id}`);
      return { entityId: pipeline.id };
    },
  },
  'POST /api/pipelines/:id/validate': 'not a mutation',
  'POST /api/plugins': {
    action: 'plugin.installed',
    entityType: 'plugin',
    run: async () => ({ entityId: (await uploadPlugin()).id }),
  },
  'DELETE /api/plugins/:id': {
    action: 'plugin.removed',
    entityType: 'plugin',
    run: async () => {
      const plugin = await uploadPlugin();
      await call('DELETE', `/api/plugins/${plugin.id}`);
      return { entityId: plugin.id };
    },
  },
  'PATCH /api/plugins/:id': {
    action: 'plugin.org_enablement_changed',
    entityType: 'plugin',
    run: async () => {
      const { id } = await server.services.db('plugins').where({ package: '@piper/plugin-postgres' }).first('id');
      await call('PATCH', `/api/plugins/${id}`, { enabled: true });
      return { entityId: id };
    },
  },
  'POST /api/node-types': {
    action: 'node_type.created',
    entityType: 'node_type',
    run: async () => {
      await call('POST', '/api/node-types', { type: `acme.audited${unique()}`, name: 'Audited', language: 'bash', code: 'cat' });
      return { entityId: (await latestAudit()).entityId };
    },
  },
  'POST /api/credentials': {
    action: 'credential.created',
    entityType: 'credential',
    run: async () => ({ entityId: (await newCredential()).id, secret: CREDENTIAL_SECRET }),
  },
  'PATCH /api/credentials/:id': {
    action: 'credential.updated',
    entityType: 'credential',
    run: async () => {
      const credential = await newCredential();
      await call('PATCH', `/api/credentials/${credential.id}`, { data: { kind: 'bearer', token: `${CREDENTIAL_SECRET}-2` } });
      return { entityId: credential.id, secret: CREDENTIAL_SECRET };
    },
  },
  'DELETE /api/credentials/:id': {
    action: 'credential.deleted',
    entityType: 'credential',
    run: async () => {
      const credential = await newCredential();
      await call('DELETE', `/api/credentials/${credential.id}`);
      return { entityId: credential.id, secret: CREDENTIAL_SECRET };
    },
  },
  'POST /api/credentials/:id/test': {
    action: 'credential.tested',
    entityType: 'credential',
    run: async () => {
      const credential = await newCredential();
      await call('POST', `/api/credentials/${credential.id}/test`);
      return { entityId: credential.id, secret: CREDENTIAL_SECRET };
    },
  },
  'PATCH /api/settings': {
    action: 'settings.updated',
    entityType: 'org_settings',
    run: async () => {
      await call('PATCH', '/api/settings', { sandbox: { memoryMb: 96 } });
      return { entityId: (await call('GET', '/api/auth/me')).org.id };
    },
  },
  'POST /api/pipelines/:id/versions': {
    action: 'pipeline.published',
    entityType: 'pipeline',
    run: async () => {
      const pipeline = await newPipeline();
      await call('POST', `/api/pipelines/${pipeline.id}/versions`);
      return { entityId: pipeline.id };
    },
  },
  'POST /api/pipelines/:id/runs': {
    action: 'run.created',
    entityType: 'run',
    run: async () => {
      const pipeline = await newPipeline();
      return { entityId: (await call('POST', `/api/pipelines/${pipeline.id}/runs`, { mode: 'test' })).id };
    },
  },
  'POST /hooks/:orgSlug/*path': {
    action: 'run.created',
    entityType: 'run',
    run: async () => {
      const path = `audited-${unique()}`;
      const pipeline = await newPipeline({ nodes: [{ id: 'hook', type: 'core.webhook', data: { args: { path } } }], edges: [] });
      await call('POST', `/api/pipelines/${pipeline.id}/versions`);
      return { entityId: (await call('POST', `/hooks/acme/${path}`, { any: 'body' }, null)).runId };
    },
  },
  'POST /api/runs/:id/cancel': {
    action: 'run.cancel_requested',
    entityType: 'run',
    run: async () => {
      const pipeline = await newPipeline({ nodes: [{ id: 'wait', type: 'core.delay', data: { args: { ms: 60_000 } } }], edges: [] });
      const run = await call('POST', `/api/pipelines/${pipeline.id}/runs`, { mode: 'test' });
      await call('POST', `/api/runs/${run.id}/cancel`);
      return { entityId: run.id };
    },
  },
  'POST /api/runs/:id/retry': {
    action: 'run.retried',
    entityType: 'run',
    run: async () => {
      const failed = await finishedRun({ nodes: [{ id: 'boom', type: 'core.transform', data: { args: { code: 'throw new Error("x")' } } }], edges: [] });
      return { entityId: (await call('POST', `/api/runs/${failed.id}/retry`)).id };
    },
  },
} satisfies Record<string, Expectation | 'not a mutation'>);

describe('audit log', () => {
  it('has an expectation for every mutating route', () => {
    const mutating = server.router.stack.flatMap((layer) => layer.methods.filter((m) => !['GET', 'HEAD'].includes(m)).map((m) => `${m} ${layer.path}`));
    assert.deepEqual(mutating.filter((key) => !(key in MUTATIONS)).sort(), []);
  });

  for (const [key, expectation] of Object.entries(MUTATIONS)) {
    if (expectation === 'not a mutation') continue;
    it(`${key} writes a ${expectation.action} event without secrets`, async () => {
      const { entityId, secret } = await expectation.run();
      const event = await server.services.db('auditEvents').where({ action: expectation.action, entityId }).orderBy('seq', 'desc').first();
      assert.ok(event, `no ${expectation.action} event for ${entityId}`);
      assert.equal(event.entityType, expectation.entityType);
      assert.ok(event.actorType);
      assert.ok(event.createdAt instanceof Date);
      const serialized = JSON.stringify(event);
      assert.ok(!/\$argon2/.test(serialized), 'no password hash');
      if (secret) assert.ok(!serialized.includes(secret), 'the secret is not in the event');
    });
  }

  it('records failed logins, and before/after of an update', async () => {
    await server.request('POST', '/api/auth/login', { body: { email: 'client@acme.test', password: 'wrong-password' } });
    const failed = await latestAudit();
    assert.equal(failed.action, 'auth.login_failed');
    assert.equal(failed.after.reason, 'wrong_password');
    const user = await newUser();
    await call('PATCH', `/api/users/${user.id}`, { name: 'After' });
    const updated = await latestAudit();
    assert.equal(updated.before.name, 'U');
    assert.equal(updated.after.name, 'After');
    assert.equal(updated.actorId, adminId);

    const group = await call('POST', '/api/groups', { name: `g-${unique()}` });
    await call('PUT', `/api/groups/${group.id}/members`, { userIds: [adminId] });
    await call('PUT', `/api/groups/${group.id}/members`, { userIds: [user.id] });
    const members = await latestAudit();
    assert.deepEqual(members.before, { memberIds: [adminId] });
    assert.deepEqual(members.after, { memberIds: [user.id] });
  });

  it('filters by action, entity, actor and time, and pages with a cursor', async () => {
    const started = new Date().toISOString();
    const groups = [];
    for (let i = 0; i < 5; i++) groups.push(await call('POST', '/api/groups', { name: `paged-${unique()}` }));
    const ids = groups.map((group) => group.id).reverse();

    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const page: { items: Array<{ entityId: string }>; nextCursor: string | null } = await call(
        'GET',
        `/api/audit?action=group.created&from=${encodeURIComponent(started)}&limit=2${cursor ? `&cursor=${cursor}` : ''}`,
      );
      assert.ok(page.items.length <= 2);
      seen.push(...page.items.map((item) => item.entityId));
      cursor = page.nextCursor;
    } while (cursor);
    assert.deepEqual(seen, ids, 'newest first, each once');

    const byEntity = await call('GET', `/api/audit?entityType=group&entityId=${ids[0]}`);
    assert.deepEqual(byEntity.items.map((item: { action: string }) => item.action), ['group.created']);
    const byActor = await call('GET', `/api/audit?actorId=${adminId}&action=group.created&from=${encodeURIComponent(started)}`);
    assert.equal(byActor.items.length, 5);
    const before = await call('GET', `/api/audit?to=${encodeURIComponent(started)}&action=group.created&entityId=${ids[0]}`);
    assert.equal(before.items.length, 0);
  });
});
