/**
 * The authorization matrix: every route the router serves × every kind of caller × an object
 * of the caller's own org and of another org. A route added without a row here fails the test.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { DEMO_PASSWORD } from '../seed/demo.js';
import { startTestServer, type TestServer } from '../testing/harness.js';
import { PipelineDriver } from '../testing/pipelines.js';

const ACTORS = ['anonymous', 'client', 'manager', 'admin', 'instanceAdmin', 'service'] as const;
type Actor = (typeof ACTORS)[number];
type Org = 'acme' | 'beta';
/** Expected statuses in the order of ACTORS: anonymous, client, manager, admin, instanceAdmin, service. */
type Row = [number, number, number, number, number, number];

interface Cell {
  /** Path parameters of an object in the given org, made fresh for each request. */
  params?: (org: Org) => Promise<Record<string, string>>;
  body?: (actor: Actor) => unknown;
  /** The request ends or changes the caller's session: use a throwaway caller of that kind. */
  throwaway?: boolean;
  own: Row;
  /** For routes with an object: the same request on an object of another org. */
  other?: Row;
}

let server: TestServer;
const admins = {} as Record<Org, string>;
const tokens = {} as Record<Exclude<Actor, 'anonymous'>, string>;

const unique = () => randomUUID().slice(0, 8);

async function asAdmin(org: Org, method: string, path: string, body?: unknown) {
  const response = await server.request(method, path, { token: admins[org], body });
  assert.ok(response.status < 300, `fixture ${method} ${path} in ${org}: ${response.status} ${JSON.stringify(response.body)}`);
  return response.body;
}

const freshUser = (org: Org, role: 'admin' | 'manager' | 'client', password = DEMO_PASSWORD) =>
  asAdmin(org, 'POST', '/api/users', { email: `${role}-${unique()}@${org}.test`, name: `Fresh ${role}`, password, role });
const freshGroup = (org: Org) => asAdmin(org, 'POST', '/api/groups', { name: `group-${unique()}` });
const freshServiceAccount = async (org: Org) => asAdmin(org, 'POST', '/api/service-accounts', { name: `runner-${unique()}`, groupIds: [await defaultGroup(org)] });
const defaultGroups = {} as Record<Org, string>;
async function defaultGroup(org: Org): Promise<string> {
  defaultGroups[org] ??= (await asAdmin(org, 'GET', '/api/groups')).find((group: { name: string }) => group.name === 'default').id;
  return defaultGroups[org];
}

const freshCredential = async (org: Org) =>
  asAdmin(org, 'POST', '/api/credentials', { name: `cred-${unique()}`, type: 'core.httpAuth', data: { kind: 'bearer', token: 'matrix-token' }, groupId: await defaultGroup(org) });

const SET_GRAPH = { nodes: [{ id: 'set', type: 'core.set', data: { args: { value: 1 } } }], edges: [] };
const freshPipeline = async (org: Org, graph: unknown = SET_GRAPH) => asAdmin(org, 'POST', '/api/pipelines', { name: `p-${unique()}`, groupId: await defaultGroup(org), graph });
async function firstPartyPlugin() {
  return { id: (await server.services.db('plugins').where({ package: '@piper/plugin-email' }).first('id')).id };
}
async function pluginUiFile() {
  const plugin = await server.services.db('plugins').where({ package: '@piper/plugin-files' }).first('version');
  return { pluginId: encodeURIComponent('@piper/plugin-files'), version: plugin.version, file: 'remoteEntry.js' };
}
async function webhookPipeline(org: Org) {
  const path = `hook-${unique()}`;
  const pipeline = await freshPipeline(org, { nodes: [{ id: 'hook', type: 'core.webhook', data: { args: { path } } }], edges: [] });
  await asAdmin(org, 'POST', `/api/pipelines/${pipeline.id}/versions`);
  return { orgSlug: org, path };
}
async function publishedPipeline(org: Org) {
  const pipeline = await freshPipeline(org);
  await asAdmin(org, 'POST', `/api/pipelines/${pipeline.id}/versions`);
  return pipeline;
}

async function finishedRun(org: Org, graph: unknown = SET_GRAPH) {
  const pipeline = await freshPipeline(org, graph);
  const run = await asAdmin(org, 'POST', `/api/pipelines/${pipeline.id}/runs`, { mode: 'test' });
  return new PipelineDriver(server, admins[org]).waitFor(run.id);
}
const runningRun = async (org: Org) => {
  const pipeline = await freshPipeline(org, { nodes: [{ id: 'wait', type: 'core.delay', data: { args: { ms: 60_000 } } }], edges: [] });
  return asAdmin(org, 'POST', `/api/pipelines/${pipeline.id}/runs`, { mode: 'test' });
};
const FAILING_GRAPH = { nodes: [{ id: 'boom', type: 'core.transform', data: { args: { code: 'throw new Error("boom")' } } }], edges: [] };

async function artifactOf(org: Org) {
  const run = await finishedRun(org);
  const [artifact] = await server.services.db('artifacts')
    .insert({ orgId: run.orgId, runId: run.id, nodeId: 'set', attempt: 1, name: 'a.txt', contentType: 'text/plain', size: 2, storagePath: `${run.orgId}/${run.id}/a.txt` })
    .returning('id');
  const file = path.join(server.config.dataDir, 'artifacts', run.orgId, run.id, 'a.txt');
  await fs.mkdir(path.dirname(file), { recursive: true });
  await fs.writeFile(file, 'hi');
  return { id: run.id, artifactId: artifact.id };
}

async function tokenFor(actor: Exclude<Actor, 'anonymous'>, throwaway: boolean): Promise<string> {
  if (!throwaway) return tokens[actor];
  if (actor === 'service') return (await freshServiceAccount('acme')).token;
  const user = await freshUser('acme', actor === 'instanceAdmin' ? 'admin' : actor);
  if (actor === 'instanceAdmin') await server.services.db('users').where({ id: user.id }).update({ instanceAdmin: true });
  return server.login(user.email);
}

const A = 401;
const F = 403;
const N = 404;

const MATRIX: Record<string, Cell> = {
  'GET /health': { own: [200, 200, 200, 200, 200, 200] },
  'GET /metrics': { own: [200, 200, 200, 200, 200, 200] },
  'GET /api/openapi.json': { own: [200, 200, 200, 200, 200, 200] },

  'POST /api/auth/login': { body: () => ({ email: 'client2@acme.test', password: DEMO_PASSWORD }), own: [200, 200, 200, 200, 200, 200] },
  'POST /api/auth/refresh': { own: [A, 200, 200, 200, 200, F] },
  'POST /api/auth/logout': { throwaway: true, own: [A, 204, 204, 204, 204, F] },
  'GET /api/auth/me': { own: [A, 200, 200, 200, 200, 200] },
  'POST /api/auth/password': { throwaway: true, body: () => ({ currentPassword: DEMO_PASSWORD, newPassword: 'changed-password-1' }), own: [A, 204, 204, 204, 204, F] },
  'POST /api/auth/forgot': { body: () => ({ email: 'client2@acme.test' }), own: [202, 202, 202, 202, 202, 202] },
  'POST /api/auth/reset': { body: () => ({ token: 'not-a-reset-token', newPassword: 'whatever-password' }), own: [400, 400, 400, 400, 400, 400] },

  'GET /api/users': { own: [A, F, 200, 200, 200, F] },
  'POST /api/users': { body: () => ({ email: `new-${unique()}@acme.test`, name: 'New', password: DEMO_PASSWORD, role: 'client' }), own: [A, F, F, 201, 201, F] },
  'GET /api/users/:id': { params: async (org) => ({ id: (await freshUser(org, 'client')).id }), own: [A, N, N, 200, 200, F], other: [A, N, N, N, N, F] },
  'PATCH /api/users/:id': { params: async (org) => ({ id: (await freshUser(org, 'client')).id }), body: () => ({ name: 'Renamed' }), own: [A, F, F, 200, 200, F], other: [A, F, F, N, N, F] },
  'DELETE /api/users/:id': { params: async (org) => ({ id: (await freshUser(org, 'client')).id }), own: [A, F, F, 204, 204, F], other: [A, F, F, N, N, F] },
  'GET /api/users/:id/clients': { params: async (org) => ({ id: (await freshUser(org, 'manager')).id }), own: [A, F, N, 200, 200, F], other: [A, F, N, N, N, F] },
  'PUT /api/users/:id/clients': { params: async (org) => ({ id: (await freshUser(org, 'manager')).id }), body: () => ({ clientIds: [] }), own: [A, F, F, 200, 200, F], other: [A, F, F, N, N, F] },

  'GET /api/groups': { own: [A, F, 200, 200, 200, F] },
  'POST /api/groups': { body: () => ({ name: `g-${unique()}` }), own: [A, F, F, 201, 201, F] },
  'PATCH /api/groups/:id': { params: async (org) => ({ id: (await freshGroup(org)).id }), body: () => ({ name: `renamed-${unique()}` }), own: [A, F, F, 200, 200, F], other: [A, F, F, N, N, F] },
  'DELETE /api/groups/:id': { params: async (org) => ({ id: (await freshGroup(org)).id }), own: [A, F, F, 204, 204, F], other: [A, F, F, N, N, F] },
  'PUT /api/groups/:id/members': { params: async (org) => ({ id: (await freshGroup(org)).id }), body: () => ({ userIds: [] }), own: [A, F, F, 200, 200, F], other: [A, F, F, N, N, F] },

  'GET /api/service-accounts': { own: [A, F, F, 200, 200, F] },
  'POST /api/service-accounts': { body: () => ({ name: `sa-${unique()}`, groupIds: [] }), own: [A, F, F, 201, 201, F] },
  'DELETE /api/service-accounts/:id': { params: async (org) => ({ id: (await freshServiceAccount(org)).id }), own: [A, F, F, 204, 204, F], other: [A, F, F, N, N, F] },

  'GET /api/credentials': { own: [A, F, 200, 200, 200, F] },
  'POST /api/credentials': {
    body: () => ({ name: `c-${unique()}`, type: 'core.httpAuth', data: { kind: 'bearer', token: 'matrix-token' }, groupId: defaultGroups.acme }),
    own: [A, F, 201, 201, 201, F],
  },
  'GET /api/credentials/:id': { params: async (org) => ({ id: (await freshCredential(org)).id }), own: [A, F, 200, 200, 200, F], other: [A, F, N, N, N, F] },
  'PATCH /api/credentials/:id': { params: async (org) => ({ id: (await freshCredential(org)).id }), body: () => ({ name: `renamed-${unique()}` }), own: [A, F, 200, 200, 200, F], other: [A, F, N, N, N, F] },
  'DELETE /api/credentials/:id': { params: async (org) => ({ id: (await freshCredential(org)).id }), own: [A, F, 204, 204, 204, F], other: [A, F, N, N, N, F] },
  'POST /api/credentials/:id/test': { params: async (org) => ({ id: (await freshCredential(org)).id }), own: [A, F, 200, 200, 200, F], other: [A, F, N, N, N, F] },

  'GET /api/orgs': { own: [A, F, F, F, 200, F] },
  'POST /api/orgs': {
    body: () => ({ slug: `org-${unique()}`, name: 'New org', admin: { email: `first-${unique()}@new.test`, name: 'First', password: DEMO_PASSWORD } }),
    own: [A, F, F, F, 201, F],
  },
  'GET /api/audit': { own: [A, F, F, 200, 200, F] },
  'GET /api/outbox': { own: [A, F, F, 200, 200, F] },

  'GET /api/settings': { own: [A, F, F, 200, 200, F] },
  'PATCH /api/settings': { body: () => ({ sandbox: { timeoutMs: 1000 } }), own: [A, F, F, 200, 200, F] },

  'GET /api/node-types': { own: [A, F, 200, 200, 200, F] },
  'GET /api/credential-types': { own: [A, F, 200, 200, 200, F] },
  // Plugins are the instance's: an org admin enables or disables one for the org, whichever org it is asked from.
  'GET /api/plugins': { own: [A, F, F, 200, 200, F] },
  // Installing and removing plugins is the instance admin's: an empty body is refused (400), a first-party plugin cannot be removed (409).
  'POST /api/plugins': { body: () => ({}), own: [A, F, F, F, 400, F] },
  'DELETE /api/plugins/:id': { params: firstPartyPlugin, own: [A, F, F, F, 409, F], other: [A, F, F, F, 409, F] },
  'PATCH /api/plugins/:id': { params: firstPartyPlugin, body: () => ({ enabled: true }), own: [A, F, F, 200, 200, F], other: [A, F, F, 200, 200, F] },
  'GET /plugin-ui/:pluginId/:version/*file': { params: pluginUiFile, own: [200, 200, 200, 200, 200, 200], other: [200, 200, 200, 200, 200, 200] },
  'POST /api/node-types': { body: () => ({ type: `acme.script${unique()}`, name: 'Script', language: 'bash', code: 'cat' }), own: [A, F, F, 201, 201, F] },

  'GET /api/pipelines': { own: [A, F, 200, 200, 200, F] },
  'POST /api/pipelines': {
    body: () => ({ name: `p-${unique()}`, groupId: defaultGroups.acme, graph: SET_GRAPH }),
    own: [A, F, 201, 201, 201, F],
  },
  'GET /api/pipelines/:id': { params: async (org) => ({ id: (await freshPipeline(org)).id }), own: [A, F, 200, 200, 200, F], other: [A, F, N, N, N, F] },
  'PUT /api/pipelines/:id/graph': { params: async (org) => ({ id: (await freshPipeline(org)).id }), body: () => ({ graph: SET_GRAPH }), own: [A, F, 200, 200, 200, F], other: [A, F, N, N, N, F] },
  'PATCH /api/pipelines/:id': { params: async (org) => ({ id: (await freshPipeline(org)).id }), body: () => ({ name: 'renamed' }), own: [A, F, 200, 200, 200, F], other: [A, F, N, N, N, F] },
  'DELETE /api/pipelines/:id': { params: async (org) => ({ id: (await freshPipeline(org)).id }), own: [A, F, 204, 204, 204, F], other: [A, F, N, N, N, F] },
  'POST /api/pipelines/:id/validate': { params: async (org) => ({ id: (await freshPipeline(org)).id }), own: [A, F, 200, 200, 200, F], other: [A, F, N, N, N, F] },
  'POST /api/pipelines/:id/versions': { params: async (org) => ({ id: (await freshPipeline(org)).id }), own: [A, F, 201, 201, 201, F], other: [A, F, N, N, N, F] },
  'GET /api/pipelines/:id/versions': { params: async (org) => ({ id: (await publishedPipeline(org)).id }), own: [A, F, 200, 200, 200, F], other: [A, F, N, N, N, F] },
  'GET /api/pipelines/:id/versions/:version': { params: async (org) => ({ id: (await publishedPipeline(org)).id, version: '1' }), own: [A, F, 200, 200, 200, F], other: [A, F, N, N, N, F] },
  'GET /api/pipelines/:id/triggers': { params: async (org) => ({ id: (await freshPipeline(org)).id }), own: [A, F, 200, 200, 200, F], other: [A, F, N, N, N, F] },
  // Webhooks are public: the path (and a signature, when the node has a secret) is the access rule.
  'POST /hooks/:orgSlug/*path': { params: webhookPipeline, body: () => ({}), own: [202, 202, 202, 202, 202, 202], other: [202, 202, 202, 202, 202, 202] },
  'POST /api/pipelines/:id/runs': { params: async (org) => ({ id: (await freshPipeline(org)).id }), body: () => ({ mode: 'test' }), own: [A, F, 202, 202, 202, 202], other: [A, F, N, N, N, N] },

  // Runs made by an admin in test mode: clients read only production runs made for them, service accounts only their own.
  'GET /api/runs': { own: [A, 200, 200, 200, 200, 200] },
  'GET /api/runs/:id': { params: async (org) => ({ id: (await finishedRun(org)).id }), own: [A, N, 200, 200, 200, N], other: [A, N, N, N, N, N] },
  'GET /api/runs/:id/logs': { params: async (org) => ({ id: (await finishedRun(org)).id }), own: [A, N, 200, 200, 200, N], other: [A, N, N, N, N, N] },
  'GET /api/runs/:id/events': { params: async (org) => ({ id: (await finishedRun(org)).id }), own: [A, N, 200, 200, 200, N], other: [A, N, N, N, N, N] },
  'GET /api/runs/:id/artifacts/:artifactId': { params: artifactOf, own: [A, N, 200, 200, 200, N], other: [A, N, N, N, N, N] },
  'POST /api/runs/:id/cancel': { params: async (org) => ({ id: (await runningRun(org)).id }), own: [A, F, 202, 202, 202, N], other: [A, F, N, N, N, N] },
  'POST /api/runs/:id/retry': { params: async (org) => ({ id: (await finishedRun(org, FAILING_GRAPH)).id }), own: [A, F, 202, 202, 202, N], other: [A, F, N, N, N, N] },
};

function registeredRoutes(): string[] {
  const keys = new Set<string>();
  for (const layer of server.router.stack) {
    for (const method of layer.methods) if (method !== 'HEAD') keys.add(`${method} ${layer.path}`);
  }
  return [...keys].sort();
}

before(async () => {
  server = await startTestServer();
  admins.acme = await server.login('admin@acme.test');
  admins.beta = await server.login('admin@beta.test');
  tokens.instanceAdmin = admins.acme;
  tokens.client = await server.login('client@acme.test');
  tokens.manager = await server.login('manager@acme.test');
  tokens.admin = await server.login((await freshUser('acme', 'admin')).email);
  tokens.service = (await freshServiceAccount('acme')).token;
  await defaultGroup('acme');
  await defaultGroup('beta');
});
after(() => server.close());

describe('authorization matrix', () => {
  it('has a row for every route the router serves, and none for a route it does not', () => {
    const routes = registeredRoutes();
    assert.ok(routes.length >= 45, `only ${routes.length} routes found`);
    assert.deepEqual(routes.filter((key) => !(key in MATRIX)), [], 'routes without an expected row in the matrix');
    assert.deepEqual(Object.keys(MATRIX).filter((key) => !routes.includes(key)), [], 'matrix rows for routes that do not exist');
  });

  for (const [key, cell] of Object.entries(MATRIX)) {
    const [method, path] = key.split(' ') as [string, string];
    const scopes: Array<['own' | 'other', Org, Row]> = [['own', 'acme', cell.own]];
    if (cell.other) scopes.push(['other', 'beta', cell.other]);
    if (path.includes(':')) assert.ok(cell.other, `${key} has an object but no other-org row`);
    for (const [scope, org, row] of scopes) {
      it(`${key} (${scope} org)`, async () => {
        const actual: number[] = [];
        for (const actor of ACTORS) {
          const params = cell.params ? await cell.params(org) : {};
          const url = path.replace(/[:*](\w+)/g, (_, name: string) => params[name]!);
          const token = actor === 'anonymous' ? null : await tokenFor(actor, cell.throwaway ?? false);
          const response = await server.request(method, url, { token, body: cell.body?.(actor) });
          actual.push(response.status);
        }
        assert.deepEqual(
          Object.fromEntries(ACTORS.map((actor, i) => [actor, actual[i]])),
          Object.fromEntries(ACTORS.map((actor, i) => [actor, row[i]])),
        );
      });
    }
  }
});

describe('tenancy in lists', () => {
  it('never lists another org’s users, groups or service accounts', async () => {
    const betaUser = await freshUser('beta', 'client');
    const betaGroup = await freshGroup('beta');
    const betaAccount = await freshServiceAccount('beta');
    for (const token of [tokens.admin, tokens.instanceAdmin]) {
      const users = await server.request('GET', '/api/users', { token });
      const groups = await server.request('GET', '/api/groups', { token });
      const accounts = await server.request('GET', '/api/service-accounts', { token });
      const audit = await server.request('GET', `/api/audit?entityId=${betaUser.id}`, { token });
      assert.ok(!users.body.some((user: { id: string }) => user.id === betaUser.id));
      assert.ok(users.body.every((user: { email: string }) => user.email.endsWith('@acme.test')));
      assert.ok(!groups.body.some((group: { id: string }) => group.id === betaGroup.id));
      assert.ok(!accounts.body.some((account: { id: string }) => account.id === betaAccount.id));
      assert.deepEqual(audit.body.items, []);
    }
  });

  it('shows a manager only the assigned clients and the groups they belong to', async () => {
    const users = await server.request('GET', '/api/users', { token: tokens.manager });
    assert.deepEqual(users.body.map((user: { email: string }) => user.email), ['client@acme.test']);
    const assigned = users.body[0].id;
    assert.equal((await server.request('GET', `/api/users/${assigned}`, { token: tokens.manager })).status, 200);
    const client2 = (await server.request('GET', '/api/users', { token: admins.acme })).body.find((user: { email: string }) => user.email === 'client2@acme.test');
    assert.equal((await server.request('GET', `/api/users/${client2.id}`, { token: tokens.manager })).status, 404);
    const groups = await server.request('GET', '/api/groups', { token: tokens.manager });
    assert.deepEqual(groups.body.map((group: { name: string }) => group.name), ['default']);
  });

  it('lets a client read only themselves', async () => {
    const me = await server.request('GET', '/api/auth/me', { token: tokens.client });
    assert.equal((await server.request('GET', `/api/users/${me.body.user.id}`, { token: tokens.client })).status, 200);
  });
});
