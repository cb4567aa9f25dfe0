import { createHmac, timingSafeEqual } from 'node:crypto';
import type { Json } from '@piper/sdk';
import type Koa from 'koa';
import type { Caller } from '../auth/caller.js';
import { CredentialUnavailable } from '../credentials/credentials.service.js';
import { readRawBody } from '../http/body.js';
import { badRequest, HttpError, notFound, tooManyRequests, unauthorized } from '../http/errors.js';
import type { Graph } from '../pipelines/graph.js';
import type { Services } from '../services.js';

/** Standard Webhooks: a timestamp further than this from our clock is refused. */
export const TIMESTAMP_TOLERANCE_SECONDS = 5 * 60;
const MAX_WEBHOOK_ID_LENGTH = 256;
const FINISHED = new Set(['succeeded', 'failed', 'canceled']);

interface WebhookRoute {
  orgId: string;
  path: string;
  pipelineId: string;
  nodeId: string;
  version: number;
  credentialId: string | null;
  respond: 'immediately' | 'withOutput';
  timeoutMs: number;
}

class Refused extends Error {
  constructor(readonly runId: string) {
    super('duplicate delivery');
  }
}

/** The HMAC keys of a `core.webhookSecret` credential: its secret and the previous ones still accepted. */
function signingKeys(data: Record<string, unknown>): Buffer[] {
  const secrets = [data.secret, ...(Array.isArray(data.previousSecrets) ? data.previousSecrets : [])];
  return secrets.filter((secret): secret is string => typeof secret === 'string' && secret.startsWith('whsec_')).map((secret) => Buffer.from(secret.slice(6), 'base64'));
}

/**
 * Checks a Standard Webhooks signature: `webhook-signature` holds space-separated `v1,<base64>`
 * HMAC-SHA256 values of `id.timestamp.body`; any one matching any key passes.
 */
export function verifySignature(headers: Record<string, string | undefined>, body: Buffer, keys: Buffer[], now = Date.now()): void {
  const id = headers['webhook-id'];
  const timestamp = headers['webhook-timestamp'];
  const signatures = headers['webhook-signature'];
  if (!id || !timestamp || !signatures) throw unauthorized('The request is not signed (webhook-id, webhook-timestamp and webhook-signature are required)');
  if (!/^\d{1,12}$/.test(timestamp)) throw unauthorized('webhook-timestamp is not a Unix time in seconds');
  if (Math.abs(now / 1000 - Number(timestamp)) > TIMESTAMP_TOLERANCE_SECONDS) throw unauthorized('webhook-timestamp is more than 5 minutes away from the server time');
  const signed = Buffer.concat([Buffer.from(`${id}.${timestamp}.`), body]);
  const expected = keys.map((key) => createHmac('sha256', key).update(signed).digest());
  for (const candidate of signatures.split(' ')) {
    const [version, value] = candidate.split(',', 2);
    if (version !== 'v1' || !value) continue;
    const given = Buffer.from(value, 'base64');
    if (expected.some((digest) => digest.length === given.length && timingSafeEqual(digest, given))) return;
  }
  throw unauthorized('The webhook signature does not match');
}

/** The body as the webhook node outputs it, by content type: JSON, a form, text, or nothing. */
function parseBody(contentType: string, raw: Buffer): Json {
  if (raw.length === 0) return null;
  const type = contentType.split(';')[0]!.trim().toLowerCase();
  const text = raw.toString('utf8');
  if (type === 'application/json' || type.endsWith('+json')) {
    try {
      return JSON.parse(text) as Json;
    } catch (error) {
      throw badRequest('The body is not valid JSON although its content type says so', { parseError: (error as Error).message });
    }
  }
  if (type === 'application/x-www-form-urlencoded') return Object.fromEntries(new URLSearchParams(text));
  if (type.startsWith('text/') || type === 'application/xml') return text;
  throw new HttpError(415, 'unsupported_media_type', `Webhooks accept JSON, forms and text, not "${type || 'no content type'}"`, { contentType: type });
}

/** Fixed one-minute windows per endpoint, in this process. */
class EndpointLimiter {
  private window = 0;
  private counts = new Map<string, number>();

  constructor(private readonly perMinute: number) {}

  /** Seconds to wait, or 0 when the endpoint is under its limit (and the hit is counted). */
  take(key: string): number {
    const now = Date.now();
    const window = Math.floor(now / 60_000);
    if (window !== this.window) {
      this.window = window;
      this.counts.clear();
    }
    const count = (this.counts.get(key) ?? 0) + 1;
    if (count > this.perMinute) return Math.max(1, Math.ceil((60_000 - (now % 60_000)) / 1000));
    this.counts.set(key, count);
    return 0;
  }
}

/**
 * Receives `POST /hooks/:orgSlug/*path` for the published, enabled pipeline whose webhook node
 * has that path. The run (with the delivery's `webhook-id`, when sent) is committed before the
 * answer: a 2xx means it will run even if this process dies right after.
 */
export class WebhookReceiver {
  private readonly limiter: EndpointLimiter;

  constructor(private readonly services: Omit<Services, 'openapi' | 'webhooks'>) {
    this.limiter = new EndpointLimiter(services.config.webhookRatePerMinute);
  }

  async receive(ctx: Koa.Context, caller: Caller, orgSlug: string, path: string) {
    const { db, config } = this.services;
    const route: WebhookRoute | undefined = await db('webhookRoutes')
      .join('orgs', 'orgs.id', 'webhookRoutes.orgId')
      .where({ 'orgs.slug': orgSlug, 'webhookRoutes.path': path })
      .first('webhookRoutes.*');
    if (!route) throw notFound('Webhook');
    const wait = this.limiter.take(`${route.orgId}:${route.path}`);
    if (wait) throw tooManyRequests(wait);
    const raw = await readRawBody(ctx, config.bodyLimitBytes);
    const headers = ctx.headers as Record<string, string | undefined>;
    if (route.credentialId) await this.checkSignature(route, headers, raw);
    const input = { body: parseBody(ctx.get('content-type'), raw), headers: { ...ctx.headers } as Json, query: { ...ctx.query } as Json };
    const webhookId = headers['webhook-id'];
    if (webhookId !== undefined && (webhookId.length === 0 || webhookId.length > MAX_WEBHOOK_ID_LENGTH)) throw badRequest(`webhook-id must have 1 to ${MAX_WEBHOOK_ID_LENGTH} characters`);

    const runId = await this.store(caller, route, input, webhookId);
    if (runId.duplicate || route.respond !== 'withOutput') {
      ctx.status = 202;
      return { runId: runId.id, ...(runId.duplicate ? { duplicate: true } : {}) };
    }
    const finished = await this.waitFor(route.orgId, runId.id, route.timeoutMs);
    if (!finished) {
      ctx.status = 202;
      return { runId: runId.id };
    }
    ctx.status = 200;
    return { runId: runId.id, status: finished.status, output: finished.output, error: finished.error };
  }

  private async checkSignature(route: WebhookRoute, headers: Record<string, string | undefined>, raw: Buffer) {
    let keys: Buffer[];
    try {
      const credential = await this.services.credentials.resolve({ orgId: route.orgId, pipelineId: route.pipelineId, credentialId: route.credentialId, wanted: { type: 'core.webhookSecret' } });
      keys = credential ? signingKeys(credential.data) : [];
    } catch (error) {
      // The secret was deleted or cannot be read: no delivery can be verified, so none is accepted.
      if (error instanceof CredentialUnavailable || (error as Error).name === 'CredentialDecryptionError') keys = [];
      else throw error;
    }
    if (keys.length === 0) throw unauthorized('The signing secret of this webhook is unavailable');
    verifySignature(headers, raw, keys);
  }

  /** Stores the run and the delivery in one transaction; a repeated `webhook-id` gets the first run. */
  private async store(caller: Caller, route: WebhookRoute, input: Json, webhookId: string | undefined): Promise<{ id: string; duplicate: boolean }> {
    const { db, runs } = this.services;
    const key = { orgId: route.orgId, path: route.path, webhookId };
    if (webhookId) {
      const seen = await db('webhookDeliveries').where(key).first('runId');
      if (seen) return { id: seen.runId, duplicate: true };
    }
    try {
      const id = await db.transaction(async (trx) => {
        const pipeline = await trx('pipelines').where({ id: route.pipelineId }).first('clientId');
        const version = await trx('pipelineVersions').where({ pipelineId: route.pipelineId, version: route.version }).first('graph');
        const run = await runs.insertRun(
          caller,
          { orgId: route.orgId, pipelineId: route.pipelineId, version: route.version, mode: 'production', trigger: 'webhook', graph: version.graph as Graph, input, clientId: pipeline?.clientId ?? null },
          [],
          trx,
        );
        if (webhookId) {
          // Waits on a concurrent delivery of the same id, then yields to it.
          const inserted = await trx('webhookDeliveries').insert({ ...key, runId: run.id }).onConflict(['orgId', 'path', 'webhookId']).ignore().returning('runId');
          if (inserted.length === 0) throw new Refused((await trx('webhookDeliveries').where(key).first('runId')).runId);
        }
        return run.id;
      });
      return { id, duplicate: false };
    } catch (error) {
      if (error instanceof Refused) return { id: error.runId, duplicate: true };
      throw error;
    }
  }

  private async waitFor(orgId: string, runId: string, timeoutMs: number) {
    const { db, events } = this.services;
    const read = () => db('runs').where({ id: runId, orgId }).first('status', 'output', 'error');
    let unsubscribe = () => {};
    const done = new Promise<void>((resolve) => {
      unsubscribe = events.subscribe(runId, (event) => event.type === 'run' && FINISHED.has(event.status) && resolve());
    });
    try {
      const now = await read();
      if (!FINISHED.has(now.status)) {
        let timer: NodeJS.Timeout | undefined;
        await Promise.race([done, new Promise<void>((resolve) => (timer = setTimeout(resolve, timeoutMs)))]);
        clearTimeout(timer);
      }
      const run = await read();
      return FINISHED.has(run.status) ? run : undefined;
    } finally {
      unsubscribe();
    }
  }
}
