import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startTestServer, type TestServer } from '../testing/harness.js';

let server: TestServer;
let admin: string;
let managerId: string;
let groupId: string;
let pipelineId: string;
let runId: string;
let credentialId: string;
let pluginId: string;

before(async () => {
  server = await startTestServer({ bodyLimitBytes: 64 * 1024 });
  admin = await server.login('admin@acme.test');
  const users = await server.request('GET', '/api/users', { token: admin });
  managerId = users.body.find((user: { email: string }) => user.email === 'manager@acme.test').id;
  groupId = (await server.request('GET', '/api/groups', { token: admin })).body[0].id;
  const graph = { nodes: [{ id: 'set', type: 'core.set', data: { args: { value: 1 } } }], edges: [] };
  pipelineId = (await server.request('POST', '/api/pipelines', { token: admin, body: { name: 'fixture', groupId, graph } })).body.id;
  runId = (await server.request('POST', `/api/pipelines/${pipelineId}/runs`, { token: admin, body: { mode: 'test' } })).body.id;
  pluginId = (await server.services.db('plugins').first('id')).id;
  credentialId = (await server.request('POST', '/api/credentials', { token: admin, body: { name: 'fixture', type: 'core.httpAuth', data: { kind: 'bearer', token: 'fixture-token' } } })).body.id;
});
after(() => server.close());

describe('operations endpoints', () => {
  it('answers /health with status ok once the database is reachable', async () => {
    const response = await server.request('GET', '/health');
    assert.equal(response.status, 200);
    assert.equal(response.body.status, 'ok');
  });

  it('serves Prometheus metrics, including request durations by route', async () => {
    await server.request('GET', '/health');
    const response = await server.request('GET', '/metrics');
    assert.equal(response.status, 200);
    assert.match(response.headers.get('content-type') ?? '', /text\/plain/);
    assert.match(response.body, /piper_http_request_duration_seconds_bucket\{[^}]*route="\/health"/);
    assert.match(response.body, /process_resident_memory_bytes/);
  });

  it('serves an OpenAPI document listing every route', async () => {
    const response = await server.request('GET', '/api/openapi.json');
    assert.equal(response.status, 200);
    assert.equal(response.body.openapi, '3.1.0');
    assert.ok(response.body.paths['/api/users/{id}'].patch.requestBody);
    const operations = Object.values(response.body.paths as Record<string, object>).reduce((n, ops) => n + Object.keys(ops).length, 0);
    const routes = server.router.stack.reduce((n, layer) => n + layer.methods.filter((m) => m !== 'HEAD').length, 0);
    assert.equal(operations, routes);
  });

  it('echoes a request id, or makes one', async () => {
    const given = await server.request('GET', '/health', { headers: { 'x-request-id': 'trace-123' } });
    assert.equal(given.headers.get('x-request-id'), 'trace-123');
    const made = await server.request('GET', '/health');
    assert.match(made.headers.get('x-request-id') ?? '', /^[0-9a-f-]{36}$/);
    const error = await server.request('GET', '/api/nothing-here', { headers: { 'x-request-id': 'trace-456' } });
    assert.equal(error.body.error.requestId, 'trace-456');
  });

  it('answers unknown routes with a JSON 404 and wrong methods with 405', async () => {
    const missing = await server.request('GET', '/api/nothing-here');
    assert.equal(missing.status, 404);
    assert.equal(missing.body.error.code, 'not_found');
    const wrongMethod = await server.request('PUT', '/api/users', { token: admin, body: {} });
    assert.equal(wrongMethod.status, 405);
  });
});

describe('bad input', () => {
  it('refuses a body over the limit with 413 and stores nothing', async () => {
    const before = (await server.request('GET', '/api/groups', { token: admin })).body.length;
    const response = await server.request('POST', '/api/groups', { token: admin, body: { name: 'big', description: 'x'.repeat(100 * 1024) } });
    assert.equal(response.status, 413);
    assert.equal(response.body.error.code, 'payload_too_large');
    assert.equal((await server.request('GET', '/api/groups', { token: admin })).body.length, before);
  });

  it('refuses malformed JSON with 400', async () => {
    const response = await server.request('POST', '/api/groups', { token: admin, rawBody: '{"name": "x",', headers: { 'content-type': 'application/json' } });
    assert.equal(response.status, 400);
    assert.equal(response.body.error.code, 'bad_request');
  });

  it('treats a malformed id in a path as absent (404), never as a server error', async () => {
    for (const path of ['/api/users/not-a-uuid', "/api/users/1' or '1'='1", '/api/groups/%00']) {
      const response = await server.request('PATCH', path, { token: admin, body: { name: 'x' } });
      assert.equal(response.status, 404, path);
    }
  });

  // One malformed request per endpoint family, each with a body (or query) the schema refuses.
  const BAD_REQUESTS: Array<[string, string, unknown, string?]> = [
    ['POST', '/api/auth/login', { email: 42 }],
    ['POST', '/api/auth/login', []],
    ['POST', '/api/auth/login', 'just a string'],
    ['POST', '/api/auth/password', { currentPassword: 'x' }],
    ['POST', '/api/auth/forgot', { email: 'not-an-email' }],
    ['POST', '/api/auth/reset', { token: '' }],
    ['POST', '/api/users', { email: 'new@acme.test', name: 'New', password: 'long-enough-1', role: 'superuser' }],
    ['POST', '/api/users', { email: 'new@acme.test', name: '', password: 'long-enough-1', role: 'client' }],
    ['POST', '/api/users', { email: 'new@acme.test', name: 'New', password: 'short', role: 'client' }],
    ['PATCH', '/api/users/:manager', { disabled: 'yes' }],
    ['PATCH', '/api/users/:manager', {}],
    ['PUT', '/api/users/:manager/clients', { clientIds: ['not-a-uuid'] }],
    ['PUT', '/api/users/:manager/clients', { clientIds: ['00000000-0000-4000-8000-000000000000'] }],
    ['POST', '/api/groups', { name: 7 }],
    ['PATCH', '/api/groups/:group', { name: '' }],
    ['PUT', '/api/groups/:group/members', { userIds: 'everyone' }],
    ['PUT', '/api/groups/:group/members', { userIds: ['00000000-0000-4000-8000-000000000000'] }],
    ['POST', '/api/service-accounts', { groupIds: [] }],
    ['POST', '/api/service-accounts', { name: 'x', groupIds: ['00000000-0000-4000-8000-000000000000'] }],
    ['POST', '/api/orgs', { slug: 'Not A Slug!', name: 'x', admin: { email: 'a@b.test', name: 'a', password: 'long-enough-1' } }],
    ['GET', '/api/audit?limit=100000', undefined],
    ['GET', '/api/audit?from=yesterday', undefined],
    ['GET', '/api/audit?cursor=%%%', undefined],
    ['GET', '/api/audit?actorId=me', undefined],
    ['POST', '/api/pipelines', { name: 1, groupId: 'x' }],
    ['POST', '/api/pipelines', { name: 'p', groupId: '00000000-0000-4000-8000-000000000000' }],
    ['PUT', '/api/pipelines/:pipeline/graph', { graph: { nodes: 'all of them', edges: [] } }],
    ['PUT', '/api/pipelines/:pipeline/graph', { graph: { nodes: [{ id: 'a', type: 'core.set', data: { args: { value: 1 }, settings: { timeoutMs: -5 } } }], edges: [] } }],
    ['PATCH', '/api/pipelines/:pipeline', { enabled: 'yes' }],
    ['POST', '/api/pipelines/:pipeline/runs', { mode: 'fast' }],
    ['POST', '/api/pipelines/:pipeline/runs', { mode: 'production', version: 0 }],
    ['GET', '/api/runs?status=weird', undefined],
    ['PATCH', '/api/settings', { sandbox: { memoryMb: 4 } }],
    ['PATCH', '/api/settings', { sandbox: { timeoutMs: 'long' } }],
    ['PATCH', '/api/settings', {}],
    ['PATCH', '/api/settings', { scripts: { cpus: 0 } }],
    ['PATCH', '/api/settings', { scripts: { pids: 'many' } }],
    ['GET', '/api/runs?limit=0', undefined],
    ['GET', '/api/runs/:run/logs?limit=-1', undefined],
    ['POST', '/api/plugins', { package: 5 }],
    ['POST', '/api/plugins', { package: 'x', version: '1.0.0', extra: true }],
    ['PATCH', '/api/plugins/:plugin', { enabled: 'no' }],
    ['PATCH', '/api/plugins/:plugin', {}],
    ['POST', '/api/node-types', { type: 'acme.bad', name: 'Bad', language: 'ruby', code: 'puts 1' }],
    ['POST', '/api/node-types', { type: 'not dotted', name: 'Bad', language: 'bash', code: 'cat' }],
    ['POST', '/api/node-types', { type: 'acme.bad', name: 'Bad', language: 'bash', code: 'cat', argsSchema: { type: 'string' } }],
    ['POST', '/api/node-types', { type: 'acme.bad', name: 'Bad', language: 'bash', code: 'cat', argsSchema: { type: 'object', properties: { a: { type: 'nonsense' } } } }],
    ['POST', '/api/node-types', { type: 'acme.bad', name: 'Bad', language: 'bash', code: 'cat', outputs: [] }],
    ['POST', '/api/credentials', { name: 'c', type: 'core.httpAuth' }],
    ['POST', '/api/credentials', { name: 'c', type: 'no.suchType', data: {} }],
    ['POST', '/api/credentials', { name: 'c', type: 'core.httpAuth', data: { kind: 'bearer' } }],
    ['POST', '/api/credentials', { name: 'c', type: 'core.httpAuth', data: { kind: 'basic', username: 'u', password: 'p' }, groupId: '00000000-0000-4000-8000-000000000000' }],
    ['PATCH', '/api/credentials/:credential', { data: { kind: 'header', headerName: 'not a header name', headerValue: 'v' } }],
    ['PATCH', '/api/credentials/:credential', {}],
  ];
  for (const [method, rawPath, body] of BAD_REQUESTS) {
    it(`answers 400 to ${method} ${rawPath} with ${JSON.stringify(body) ?? 'no body'}`, async () => {
      const path = rawPath.replace(':manager', managerId).replace(':group', groupId).replace(':pipeline', pipelineId).replace(':run', runId).replace(':credential', credentialId).replace(':plugin', pluginId);
      const auditBefore = await server.services.db('auditEvents').count<{ count: number }[]>('* as count');
      const response = await server.request(method, path, { token: admin, body });
      assert.equal(response.status, 400, JSON.stringify(response.body));
      assert.ok(response.body.error.code, 'an error code');
      assert.ok(response.body.error.message, 'an error message');
      assert.ok(response.body.error.details !== undefined, 'details of what is wrong');
      const auditAfter = await server.services.db('auditEvents').count<{ count: number }[]>('* as count');
      if (!path.startsWith('/api/auth/login')) assert.equal(auditAfter[0]!.count, auditBefore[0]!.count, 'nothing was changed');
    });
  }

  it('requires a body where the route takes one', async () => {
    const response = await server.request('POST', '/api/groups', { token: admin });
    assert.equal(response.status, 400);
    assert.equal(response.body.error.details[0].message, 'a JSON body is required');
  });

  it('answers conflicts with 409', async () => {
    const duplicateUser = await server.request('POST', '/api/users', { token: admin, body: { email: 'MANAGER@acme.test', name: 'Dup', password: 'long-enough-1', role: 'client' } });
    assert.equal(duplicateUser.status, 409);
    const duplicateGroup = await server.request('POST', '/api/groups', { token: admin, body: { name: 'default' } });
    assert.equal(duplicateGroup.status, 409);
    const me = (await server.request('GET', '/api/auth/me', { token: admin })).body.user;
    assert.equal((await server.request('DELETE', `/api/users/${me.id}`, { token: admin })).status, 409);
    assert.equal((await server.request('PATCH', `/api/users/${me.id}`, { token: admin, body: { role: 'client' } })).status, 409);
    const duplicateCredential = await server.request('POST', '/api/credentials', { token: admin, body: { name: 'fixture', type: 'core.httpAuth', data: { kind: 'bearer', token: 't' } } });
    assert.equal(duplicateCredential.status, 409);
  });
});
