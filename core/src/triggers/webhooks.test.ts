/**
 * Webhooks through the real server: routing to published, enabled pipelines, Standard Webhooks
 * signatures, idempotency by webhook-id, content types, limits, waiting for the output, and
 * persist-then-acknowledge across a restart.
 */
import assert from 'node:assert/strict';
import { createHmac, randomBytes, randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { startTestServer, type TestServer } from '../testing/harness.js';
import { edge, node, PipelineDriver } from '../testing/pipelines.js';
import { TIMESTAMP_TOLERANCE_SECONDS, verifySignature } from './webhooks.js';

let server: TestServer;
let admin: string;
let driver: PipelineDriver;

before(async () => {
  server = await startTestServer();
  admin = await server.login('admin@acme.test');
  driver = new PipelineDriver(server, admin);
});
after(() => server?.close());

const newSecret = () => `whsec_${randomBytes(24).toString('base64')}`;

async function call(method: string, path: string, body?: unknown, target = server, token = admin) {
  const response = await target.request(method, path, { token, body });
  assert.ok(response.status < 300, `${method} ${path}: ${response.status} ${JSON.stringify(response.body)}`);
  return response.body;
}

/** A published pipeline: webhook → transform echoing its input. */
async function hookPipeline(options: { path?: string; secret?: string; previousSecrets?: string[]; args?: Record<string, unknown>; after?: ReturnType<typeof node>; target?: TestServer } = {}) {
  const target = options.target ?? server;
  const token = target === server ? admin : await target.login('admin@acme.test');
  const path = options.path ?? `hook-${randomUUID().slice(0, 8)}`;
  let credentialId: string | undefined;
  if (options.secret) {
    const data = { secret: options.secret, ...(options.previousSecrets ? { previousSecrets: options.previousSecrets } : {}) };
    credentialId = (await call('POST', '/api/credentials', { name: `whsec-${path}`, type: 'core.webhookSecret', data }, target, token)).id;
  }
  const last = options.after ?? node('echo', 'core.transform', { code: 'return input' });
  const graph = { nodes: [node('hook', 'core.webhook', { path, ...options.args }, credentialId ? { credentialId } : {}), last], edges: [edge('hook', last.id)] };
  const pipelineId = await new PipelineDriver(target, token).create(graph);
  await call('POST', `/api/pipelines/${pipelineId}/versions`, undefined, target, token);
  return { pipelineId, path, url: `/hooks/acme/${path}` };
}

function sign(secret: string, id: string, timestamp: number, body: string) {
  const key = Buffer.from(secret.slice('whsec_'.length), 'base64');
  return `v1,${createHmac('sha256', key).update(`${id}.${timestamp}.${body}`).digest('base64')}`;
}

async function deliver(url: string, body: string, headers: Record<string, string> = {}, target = server) {
  const response = await fetch(target.url + url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body });
  const text = await response.text();
  return { status: response.status, body: text ? JSON.parse(text) : undefined };
}

const signedHeaders = (secret: string, body: string, options: { id?: string; timestamp?: number } = {}) => {
  const id = options.id ?? `msg_${randomUUID()}`;
  const timestamp = options.timestamp ?? Math.floor(Date.now() / 1000);
  return { 'webhook-id': id, 'webhook-timestamp': String(timestamp), 'webhook-signature': sign(secret, id, timestamp, body) };
};

const runsOf = async (pipelineId: string) => server.services.db('runs').where({ pipelineId }).select('id', 'trigger', 'mode', 'version', 'input');

describe('webhook routing', () => {
  it('starts a production run of the published version with { body, headers, query }', async () => {
    const hook = await hookPipeline();
    const response = await deliver(`${hook.url}?source=test`, JSON.stringify({ order: 42 }), { 'x-custom': 'yes' });
    assert.equal(response.status, 202, JSON.stringify(response.body));
    const run = await driver.waitFor(response.body.runId);
    assert.equal(run.status, 'succeeded');
    const output = run.output as { body: unknown; headers: Record<string, string>; query: unknown };
    assert.deepEqual(output.body, { order: 42 });
    assert.deepEqual(output.query, { source: 'test' });
    assert.equal(output.headers['x-custom'], 'yes');
    const [row] = await runsOf(hook.pipelineId);
    assert.deepEqual([row.trigger, row.mode, row.version], ['webhook', 'production', 1]);
  });

  it('answers 404 for unknown paths and orgs, and for disabled, unpublished or deleted pipelines', async () => {
    assert.equal((await deliver('/hooks/acme/no-such-path', '{}')).status, 404);
    assert.equal((await deliver('/hooks/no-such-org/x', '{}')).status, 404);
    const hook = await hookPipeline();
    assert.equal((await deliver('/hooks/beta/' + hook.path, '{}')).status, 404, 'another org’s slug');
    await call('PATCH', `/api/pipelines/${hook.pipelineId}`, { enabled: false });
    assert.equal((await deliver(hook.url, '{}')).status, 404, 'disabled');
    await call('PATCH', `/api/pipelines/${hook.pipelineId}`, { enabled: true });
    assert.equal((await deliver(hook.url, '{}')).status, 202, 'enabled again');
    await call('DELETE', `/api/pipelines/${hook.pipelineId}`);
    assert.equal((await deliver(hook.url, '{}')).status, 404, 'deleted');

    const draftPath = `draft-${randomUUID().slice(0, 8)}`;
    await driver.create({ nodes: [node('hook', 'core.webhook', { path: draftPath })], edges: [] });
    assert.equal((await deliver(`/hooks/acme/${draftPath}`, '{}')).status, 404, 'never published');
  });

  it('refuses to publish a second pipeline on a path the org already uses', async () => {
    const hook = await hookPipeline();
    const other = await driver.create({ nodes: [node('hook', 'core.webhook', { path: hook.path })], edges: [] });
    const publish = await server.request('POST', `/api/pipelines/${other}/versions`, { token: admin });
    assert.equal(publish.status, 409);
    assert.equal((await server.request('GET', `/api/pipelines/${other}`, { token: admin })).body.latestVersion, null, 'nothing was published');
  });

  it('shows the live webhook URLs of a pipeline', async () => {
    const hook = await hookPipeline({ secret: newSecret() });
    const triggers = await call('GET', `/api/pipelines/${hook.pipelineId}/triggers`);
    assert.deepEqual(triggers.webhooks.map((w: { url: string; signed: boolean }) => [w.url, w.signed]), [[hook.url, true]]);
  });
});

describe('signatures', () => {
  it('accepts a good signature and refuses a bad one, a stale or future timestamp and a missing one, with no run', async () => {
    const secret = newSecret();
    const hook = await hookPipeline({ secret });
    const body = JSON.stringify({ paid: true });
    const good = await deliver(hook.url, body, signedHeaders(secret, body));
    assert.equal(good.status, 202, JSON.stringify(good.body));

    const now = Math.floor(Date.now() / 1000);
    const refused: Array<Record<string, string>> = [
      signedHeaders(newSecret(), body),
      { ...signedHeaders(secret, body), 'webhook-signature': 'v1,' + Buffer.alloc(32).toString('base64') },
      // A margin of whole seconds: the server's clock reads later than `now`, and by a fraction the test cannot know.
      signedHeaders(secret, body, { timestamp: now - TIMESTAMP_TOLERANCE_SECONDS - 5 }),
      signedHeaders(secret, body, { timestamp: now + TIMESTAMP_TOLERANCE_SECONDS + 5 }),
      { 'webhook-id': 'x', 'webhook-timestamp': String(now) },
      {},
    ];
    for (const headers of refused) assert.equal((await deliver(hook.url, body, headers)).status, 401, JSON.stringify(headers));
    const tampered = signedHeaders(secret, body);
    assert.equal((await deliver(hook.url, JSON.stringify({ paid: false }), tampered)).status, 401, 'the body was changed');
    assert.equal((await runsOf(hook.pipelineId)).length, 1);
  });

  it('accepts any of several signatures, and the previous secrets during a rotation', async () => {
    const [current, previous] = [newSecret(), newSecret()];
    const hook = await hookPipeline({ secret: current, previousSecrets: [previous] });
    const body = '{"n":1}';
    const byPrevious = signedHeaders(previous, body);
    assert.equal((await deliver(hook.url, body, byPrevious)).status, 202);
    const both = signedHeaders(current, body);
    both['webhook-signature'] = `v1,${Buffer.alloc(32).toString('base64')} ${both['webhook-signature']}`;
    assert.equal((await deliver(hook.url, body, both)).status, 202);
  });

  it('verifies in constant time over the raw bytes (unit)', () => {
    const secret = newSecret();
    const body = Buffer.from('{"a": 1}');
    const headers = signedHeaders(secret, body.toString());
    assert.doesNotThrow(() => verifySignature(headers, body, [Buffer.from(secret.slice(6), 'base64')]));
    assert.throws(() => verifySignature(headers, Buffer.from('{"a":1}'), [Buffer.from(secret.slice(6), 'base64')]), /does not match/);
  });
});

describe('deliveries', () => {
  it('runs once per webhook-id, also when the same id arrives concurrently', async () => {
    const secret = newSecret();
    const hook = await hookPipeline({ secret });
    const body = '{"once":true}';
    const headers = signedHeaders(secret, body);
    const first = await deliver(hook.url, body, headers);
    const again = await deliver(hook.url, body, headers);
    assert.equal(first.status, 202);
    assert.equal(again.status, 202);
    assert.equal(again.body.runId, first.body.runId);

    const unsigned = await hookPipeline();
    const id = `burst-${randomUUID()}`;
    const answers = await Promise.all(Array.from({ length: 10 }, () => deliver(unsigned.url, '{}', { 'webhook-id': id })));
    assert.deepEqual([...new Set(answers.map((a) => a.status))], [202]);
    assert.equal(new Set(answers.map((a) => a.body.runId)).size, 1);
    assert.equal((await runsOf(unsigned.pipelineId)).length, 1);
  });

  it('checks the content type against the body: 400 for broken JSON, 415 for unsupported types; forms and text are accepted', async () => {
    const hook = await hookPipeline();
    assert.equal((await deliver(hook.url, '{"broken":')).status, 400);
    assert.equal((await deliver(hook.url, 'raw', { 'content-type': 'application/octet-stream' })).status, 415);
    assert.equal((await runsOf(hook.pipelineId)).length, 0);
    const form = await deliver(hook.url, 'a=1&b=two', { 'content-type': 'application/x-www-form-urlencoded' });
    assert.deepEqual(((await driver.waitFor(form.body.runId)).output as { body: unknown }).body, { a: '1', b: 'two' });
    const text = await deliver(hook.url, 'hello', { 'content-type': 'text/plain' });
    assert.equal(((await driver.waitFor(text.body.runId)).output as { body: unknown }).body, 'hello');
    const empty = await deliver(hook.url, '');
    assert.equal(empty.status, 202);
  });

  it('refuses a body over the limit with 413', async () => {
    const hook = await hookPipeline();
    const big = JSON.stringify({ data: 'x'.repeat(server.config.bodyLimitBytes) });
    assert.equal((await deliver(hook.url, big)).status, 413);
    assert.equal((await runsOf(hook.pipelineId)).length, 0);
  });

  it('waits for the output when the node asks, and falls back to 202 after its timeout', async () => {
    const waiting = await hookPipeline({ args: { respond: 'withOutput', timeoutMs: 10_000 }, after: node('double', 'core.transform', { code: 'return { n: input.body.n * 2 }' }) });
    const answered = await deliver(waiting.url, '{"n":21}');
    assert.equal(answered.status, 200, JSON.stringify(answered.body));
    assert.deepEqual([answered.body.status, answered.body.output], ['succeeded', { n: 42 }]);

    const slow = await hookPipeline({ args: { respond: 'withOutput', timeoutMs: 200 }, after: node('wait', 'core.delay', { ms: 3000 }) });
    const started = Date.now();
    const timedOut = await deliver(slow.url, '{}');
    assert.equal(timedOut.status, 202);
    assert.ok(timedOut.body.runId);
    assert.ok(Date.now() - started < 2500);
  });

  it('rate-limits each endpoint with 429 and Retry-After', async () => {
    const limited = await startTestServer({ webhookRatePerMinute: 3 });
    try {
      const hook = await hookPipeline({ target: limited });
      const statuses = [];
      for (let i = 0; i < 5; i++) statuses.push((await deliver(hook.url, '{}', {}, limited)).status);
      assert.deepEqual(statuses, [202, 202, 202, 429, 429]);
      const response = await fetch(limited.url + hook.url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
      assert.ok(Number(response.headers.get('retry-after')) >= 1);
      const other = await hookPipeline({ target: limited });
      assert.equal((await deliver(other.url, '{}', {}, limited)).status, 202, 'another endpoint has its own budget');
    } finally {
      await limited.close();
    }
  });
});

describe('persist, then acknowledge', () => {
  it('gives every acknowledged delivery exactly one run while the server restarts midway through 1,000 of them', async () => {
    const first = await startTestServer({ role: 'api', webhookRatePerMinute: 100_000 });
    const hook = await hookPipeline({ target: first });
    let target: TestServer = first;
    const total = 1000;
    const acknowledged = new Map<string, string>();
    let next = 0;
    let restarted: Promise<void> | undefined;
    const restart = async () => {
      const { databaseUrl, masterKey } = first.config;
      await first.close();
      target = await startTestServer({ role: 'api', webhookRatePerMinute: 100_000, databaseUrl, masterKey });
    };
    const sender = async () => {
      while (next < total) {
        const id = `delivery-${next++}`;
        if (next === total / 2) restarted = restart();
        // A delivery that got no 2xx is sent again, with the same id, until one arrives.
        for (;;) {
          try {
            const response = await deliver(hook.url, JSON.stringify({ id }), { 'webhook-id': id }, target);
            if (response.status === 202) {
              acknowledged.set(id, response.body.runId);
              break;
            }
          } catch {
            // the server went away mid-request: not acknowledged
          }
          await (restarted ?? new Promise((resolve) => setTimeout(resolve, 20)));
        }
      }
    };
    try {
      await Promise.all(Array.from({ length: 16 }, sender));
      await restarted;
      assert.equal(acknowledged.size, total);
      const runs = await target.services.db('runs').where({ pipelineId: hook.pipelineId }).select('id', 'input');
      assert.equal(runs.length, total, 'one run per delivery, none lost, none doubled');
      const byId = new Map(runs.map((run: { id: string; input: { body: { id: string } } }) => [run.input.body.id, run.id]));
      for (const [id, runId] of acknowledged) assert.equal(byId.get(id), runId, `${id} was acknowledged with its run`);
    } finally {
      await target.close();
    }
  });
});
