import { Cron } from 'croner';
import type { Knex } from 'knex';
import { conflict } from '../http/errors.js';
import type { Graph, GraphError, GraphNode } from '../pipelines/graph.js';

/** Missed ticks a catching-up schedule fires at the most after downtime. */
export const MAX_CATCH_UP = 100;

/** A cron expression (5 fields, or 6 with seconds first) in its time zone, or why it is not one. */
export function parseCron(expression: string, timezone = 'UTC'): Cron | string {
  try {
    const fields = expression.trim().split(/\s+/).length;
    if (fields !== 5 && fields !== 6) return `"${expression}" has ${fields} fields; a cron expression has 5, or 6 with seconds first`;
    const cron = new Cron(expression, { timezone, paused: true });
    // An unknown time zone shows only when a date is computed.
    if (!cron.nextRun()) return 'the schedule never fires';
    return cron;
  } catch (error) {
    return (error as Error).message;
  }
}

export function nextFire(cron: Cron, after: Date): Date {
  const next = cron.nextRun(after);
  if (!next) throw new Error('The schedule has no future tick');
  return next;
}

const argsOf = (node: GraphNode) => (node.data?.args ?? {}) as Record<string, unknown>;

/** Errors of the schedule nodes of a graph about to be published: its cron and time zone. */
export function triggerErrors(graph: Graph): GraphError[] {
  const errors: GraphError[] = [];
  for (const node of graph.nodes) {
    if (node.type !== 'core.schedule') continue;
    const { cron, timezone } = argsOf(node);
    const parsed = typeof cron === 'string' ? parseCron(cron, typeof timezone === 'string' ? timezone : undefined) : 'the cron expression is missing';
    if (typeof parsed === 'string') errors.push({ nodeId: node.id, code: 'invalid_args', message: `Invalid schedule: ${parsed}` });
  }
  return errors;
}

/**
 * Makes the pipeline's webhook routes and schedules match its state, in the caller's
 * transaction: the latest published version of an enabled pipeline receives webhooks and
 * fires schedules; a disabled, unpublished or deleted one nothing. A schedule whose cron and
 * time zone did not change keeps its next fire time. (Versions are validated, cron included, when published.)
 */
export async function syncTriggers(trx: Knex.Transaction, pipelineId: string): Promise<void> {
  const pipeline = await trx('pipelines').where({ id: pipelineId }).first('id', 'orgId', 'enabled', 'latestVersion', 'deletedAt');
  const previous: Array<{ nodeId: string; cron: string; timezone: string; nextFireAt: Date }> = await trx('schedules')
    .where({ pipelineId })
    .select('nodeId', 'cron', 'timezone', 'nextFireAt');
  await trx('webhookRoutes').where({ pipelineId }).delete();
  await trx('schedules').where({ pipelineId }).delete();
  if (!pipeline || pipeline.deletedAt || !pipeline.enabled || !pipeline.latestVersion) return;
  const { graph } = (await trx('pipelineVersions').where({ pipelineId, version: pipeline.latestVersion }).first('graph')) as { graph: Graph };

  const hooks = graph.nodes.filter((node) => node.type === 'core.webhook');
  const paths = hooks.map((node) => String(argsOf(node).path));
  const repeated = paths.find((path, index) => paths.indexOf(path) !== index);
  if (repeated) throw conflict(`Two webhook nodes of this pipeline use the path "${repeated}"`, { path: repeated });
  if (hooks.length) {
    const taken = await trx('webhookRoutes').where({ orgId: pipeline.orgId }).whereIn('path', paths).first('path', 'pipelineId');
    if (taken) throw conflict(`Another pipeline of the org already receives webhooks at "${taken.path}"`, { path: taken.path, pipelineId: taken.pipelineId });
    await trx('webhookRoutes').insert(
      hooks.map((node) => {
        const args = argsOf(node);
        return {
          orgId: pipeline.orgId,
          path: String(args.path),
          pipelineId,
          nodeId: node.id,
          version: pipeline.latestVersion,
          credentialId: node.data?.credentialId ?? null,
          respond: args.respond === 'withOutput' ? 'withOutput' : 'immediately',
          timeoutMs: typeof args.timeoutMs === 'number' ? args.timeoutMs : 30_000,
        };
      }),
    );
  }

  const now = new Date();
  const schedules = graph.nodes.filter((node) => node.type === 'core.schedule');
  if (schedules.length) {
    await trx('schedules').insert(
      schedules.map((node) => {
        const args = argsOf(node);
        const cron = String(args.cron);
        const timezone = typeof args.timezone === 'string' ? args.timezone : 'UTC';
        const kept = previous.find((row) => row.nodeId === node.id && row.cron === cron && row.timezone === timezone);
        return {
          pipelineId,
          nodeId: node.id,
          orgId: pipeline.orgId,
          version: pipeline.latestVersion,
          cron,
          timezone,
          catchUp: args.catchUp === true,
          nextFireAt: kept?.nextFireAt ?? nextFire(parseCron(cron, timezone) as Cron, now),
        };
      }),
    );
  }
}
