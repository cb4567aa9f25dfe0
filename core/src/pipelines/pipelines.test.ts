import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startTestServer, type TestServer } from '../testing/harness.js';
import { edge, node, PipelineDriver } from '../testing/pipelines.js';

let server: TestServer;
let driver: PipelineDriver;
let token: string;

before(async () => {
  server = await startTestServer();
  token = await server.login('admin@acme.test');
  driver = new PipelineDriver(server, token);
});
after(() => server.close());

const transform = (id: string, code = 'return input') => node(id, 'core.transform', { code });

async function saveGraph(pipelineId: string, graph: unknown, rawBody?: string) {
  return server.request('PUT', `/api/pipelines/${pipelineId}/graph`, rawBody === undefined ? { token, body: { graph } } : { token, rawBody, headers: { 'content-type': 'application/json' } });
}

describe('graph validation', () => {
  it('pins unpinned node versions when saving', async () => {
    const id = await driver.create({ nodes: [transform('a')], edges: [] });
    const pipeline = await server.request('GET', `/api/pipelines/${id}`, { token });
    assert.equal(pipeline.body.graph.nodes[0].data.version, '1.0.0');
    assert.equal(pipeline.body.latestVersion, null);
  });

  it('refuses bad graphs with an error per node or edge, and saves nothing', async () => {
    const good = { nodes: [transform('a'), transform('b')], edges: [edge('a', 'b')] };
    const id = await driver.create(good);
    const cases: Array<[string, unknown, Array<{ code: string; nodeId?: string; edgeId?: string }>]> = [
      ['a cycle', { nodes: [transform('a'), transform('b')], edges: [edge('a', 'b'), edge('b', 'a')] }, [{ code: 'cycle', nodeId: 'a' }, { code: 'cycle', nodeId: 'b' }]],
      ['an unknown type', { nodes: [node('x', 'nope.missing')], edges: [] }, [{ code: 'unknown_node_type', nodeId: 'x' }]],
      ['an unknown version', { nodes: [node('x', 'core.transform', { code: 'return 1' }, { version: '9.9.9' })], edges: [] }, [{ code: 'unknown_version', nodeId: 'x' }]],
      ['a dangling edge', { nodes: [transform('a')], edges: [edge('a', 'ghost')] }, [{ code: 'dangling_edge', edgeId: 'a->ghost' }]],
      ['an unknown handle', { nodes: [node('if', 'core.if', { condition: true }), transform('b')], edges: [edge('if', 'b', 'maybe')] }, [{ code: 'unknown_handle', edgeId: 'if->b:maybe' }]],
      ['duplicate ids', { nodes: [transform('a'), transform('a')], edges: [] }, [{ code: 'duplicate_node_id', nodeId: 'a' }]],
      ['an edge into an entry point', { nodes: [transform('a'), node('m', 'core.manual')], edges: [edge('a', 'm')] }, [{ code: 'unexpected_input', nodeId: 'm' }]],
      ['args of 10 MB', { nodes: [node('big', 'core.set', { value: 'x'.repeat(10 * 1024 * 1024) })], edges: [] }, [{ code: 'args_too_large', nodeId: 'big' }]],
    ];
    for (const [label, graph, expected] of cases) {
      const response = await saveGraph(id, graph);
      assert.equal(response.status, 400, label);
      const errors = response.body.error.details.errors as Array<{ code: string; nodeId?: string; edgeId?: string; message: string }>;
      for (const want of expected) {
        assert.ok(
          errors.some((error) => error.code === want.code && (!want.nodeId || error.nodeId === want.nodeId) && (!want.edgeId || error.edgeId === want.edgeId) && error.message),
          `${label}: expected ${JSON.stringify(want)} in ${JSON.stringify(errors)}`,
        );
      }
    }
    const malformed = [
      ['non-JSON', '{"graph": {"nodes": [', 400],
      ['nodes not an array', JSON.stringify({ graph: { nodes: 'a', edges: [] } }), 400],
      ['a node without a type', JSON.stringify({ graph: { nodes: [{ id: 'a' }], edges: [] } }), 400],
    ] as const;
    for (const [label, raw, status] of malformed) assert.equal((await saveGraph(id, undefined, raw)).status, status, label);
    const stored = await server.request('GET', `/api/pipelines/${id}`, { token });
    assert.deepEqual(stored.body.graph.nodes.map((n: { id: string }) => n.id), ['a', 'b'], 'the draft is unchanged');
    assert.equal(stored.body.graph.edges.length, 1);
  });

  it('saves incomplete drafts, and validate names what is missing', async () => {
    const id = await driver.create({ nodes: [node('wait', 'core.delay', {}), node('http', 'core.http', { method: 'GET', url: '{{ target }}' })], edges: [] });
    const validation = await server.request('POST', `/api/pipelines/${id}/validate`, { token });
    assert.equal(validation.status, 200);
    assert.equal(validation.body.valid, false);
    assert.deepEqual(validation.body.errors.map((e: { nodeId: string; code: string }) => [e.nodeId, e.code]), [['wait', 'invalid_args']]);
    assert.equal(validation.body.errors[0].details[0].missing, 'ms');
  });
});

describe('versions', () => {
  it('publishes immutable versions; publishing an invalid draft fails with its errors', async () => {
    const id = await driver.create({ nodes: [node('wait', 'core.delay', {})], edges: [] });
    const refused = await server.request('POST', `/api/pipelines/${id}/versions`, { token });
    assert.equal(refused.status, 400);
    assert.equal(refused.body.error.details.errors[0].nodeId, 'wait');

    assert.equal((await saveGraph(id, { nodes: [node('set', 'core.set', { value: 1 })], edges: [] })).status, 200);
    assert.deepEqual((await server.request('POST', `/api/pipelines/${id}/versions`, { token })).body, { version: 1 });
    assert.equal((await saveGraph(id, { nodes: [node('set', 'core.set', { value: 2 })], edges: [] })).status, 200);
    assert.deepEqual((await server.request('POST', `/api/pipelines/${id}/versions`, { token })).body, { version: 2 });

    const versions = await server.request('GET', `/api/pipelines/${id}/versions`, { token });
    assert.deepEqual(versions.body.map((v: { version: number }) => v.version), [2, 1]);
    const first = await server.request('GET', `/api/pipelines/${id}/versions/1`, { token });
    assert.equal(first.body.graph.nodes[0].data.args.value, 1);
    assert.equal((await server.request('GET', `/api/pipelines/${id}/versions/3`, { token })).status, 404);
    assert.equal((await server.request('GET', `/api/pipelines/${id}/versions/abc`, { token })).status, 404);

    const production = await driver.waitFor(await driver.start(id, { mode: 'production', version: 1 }));
    assert.equal(production.output, 1, 'a production run uses the version it names');
    const latest = await driver.waitFor(await driver.start(id, { mode: 'production' }));
    assert.equal(latest.output, 2, 'and the latest version by default');
  });

  it('refuses production runs of unpublished or disabled pipelines', async () => {
    const id = await driver.create({ nodes: [node('set', 'core.set', { value: 1 })], edges: [] });
    assert.equal((await server.request('POST', `/api/pipelines/${id}/runs`, { token, body: { mode: 'production' } })).status, 409);
    await server.request('POST', `/api/pipelines/${id}/versions`, { token });
    await server.request('PATCH', `/api/pipelines/${id}`, { token, body: { enabled: false } });
    assert.equal((await server.request('POST', `/api/pipelines/${id}/runs`, { token, body: { mode: 'production' } })).status, 409);
  });

  it('snapshots the draft for a test run: later edits do not change it', async () => {
    const id = await driver.create({ nodes: [node('wait', 'core.delay', { ms: 300 }), node('set', 'core.set', { value: 'before' })], edges: [edge('wait', 'set')] });
    const runId = await driver.start(id);
    await saveGraph(id, { nodes: [node('set', 'core.set', { value: 'after' })], edges: [] });
    const run = await driver.waitFor(runId);
    assert.equal(run.output, 'before');
  });

  it('refuses to test-run a draft that does not validate', async () => {
    const id = await driver.create({ nodes: [node('wait', 'core.delay', {})], edges: [] });
    const response = await server.request('POST', `/api/pipelines/${id}/runs`, { token, body: { mode: 'test' } });
    assert.equal(response.status, 400);
    assert.equal(response.body.error.details.errors[0].code, 'invalid_args');
    assert.equal((await server.request('GET', `/api/runs?pipelineId=${id}`, { token })).body.items.length, 0);
  });
});

describe('runs listing', () => {
  it('pages runs newest first with a cursor and filters by status', async () => {
    const id = await driver.create({ nodes: [node('set', 'core.set', { value: 1 })], edges: [] });
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) ids.push(await driver.start(id));
    for (const runId of ids) await driver.waitFor(runId);
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const page: { body: { items: Array<{ id: string }>; nextCursor: string | null } } = await server.request('GET', `/api/runs?pipelineId=${id}&limit=2${cursor ? `&cursor=${cursor}` : ''}`, { token });
      seen.push(...page.body.items.map((item) => item.id));
      cursor = page.body.nextCursor;
    } while (cursor);
    assert.deepEqual(seen, [...ids].reverse());
    const failed = await server.request('GET', `/api/runs?pipelineId=${id}&status=failed`, { token });
    assert.equal(failed.body.items.length, 0);
  });
});

describe('trusted scripts', () => {
  const script = (trust: string, code = 'def main(input, args):\n    return 1') => ({ nodes: [node('script', 'core.script', { language: 'python', code, trust })], edges: [] });

  it('lets only an admin add or change a trusted script; a manager may keep one unchanged', async () => {
    const manager = await server.login('manager@acme.test');
    const groupId = (await server.request('GET', '/api/groups', { token: manager })).body[0].id;
    const refused = await server.request('POST', '/api/pipelines', { token: manager, body: { name: 'm', groupId, graph: script('trusted') } });
    assert.equal(refused.status, 403);
    assert.equal(refused.body.error.details.errors[0].code, 'trust_requires_admin');
    const restricted = await server.request('POST', '/api/pipelines', { token: manager, body: { name: 'm', groupId, graph: script('restricted') } });
    assert.equal(restricted.status, 201);

    const id = await driver.create(script('trusted'));
    const stored = (await server.request('GET', `/api/pipelines/${id}`, { token: manager })).body.graph;
    const withExtra = { nodes: [...stored.nodes, node('set', 'core.set', { value: 1 })], edges: [] };
    assert.equal((await saveGraph(id, withExtra)).status, 200, 'the admin saves');
    const managerSave = (graph: unknown) => server.request('PUT', `/api/pipelines/${id}/graph`, { token: manager, body: { graph } });
    assert.equal((await managerSave(withExtra)).status, 200, 'the trusted node is unchanged');
    const changed = { ...withExtra, nodes: [node('script', 'core.script', { language: 'python', code: 'def main(i, a):\n    return 2', trust: 'trusted' }, { version: '1.0.0' }), withExtra.nodes[1]] };
    assert.equal((await managerSave(changed)).status, 403);
  });
});
