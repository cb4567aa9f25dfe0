import fs from 'node:fs';
import path from 'node:path';
import type { Json } from '@piper/sdk';
import type { Knex } from 'knex';
import type { AuditService } from '../audit/audit.service.js';
import type { AuthenticatedCaller, Caller } from '../auth/caller.js';
import type { Database } from '../db/database.js';
import { conflict, forbidden, invalid, notFound } from '../http/errors.js';
import { decodeCursor, encodeCursor } from '../http/pagination.js';
import type { Graph } from '../pipelines/graph.js';
import type { PipelinesService } from '../pipelines/pipelines.service.js';
import type { EventBus } from './events.js';
import { RUN_TASK } from './queue.js';

export interface NewRun {
  mode: 'test' | 'production';
  input?: Json;
  version?: number;
  clientId?: string | null;
}

interface RunRow {
  id: string;
  orgId: string;
  pipelineId: string;
  version: number | null;
  mode: 'test' | 'production';
  status: string;
  trigger: string;
  graph: Graph;
  input: Json;
  output: Json;
  error: Json;
  clientId: string | null;
  retryOf: string | null;
  createdAt: Date;
  startedAt: Date | null;
  finishedAt: Date | null;
}

const RUN_COLUMNS = ['id', 'orgId', 'pipelineId', 'version', 'mode', 'status', 'trigger', 'input', 'output', 'error', 'clientId', 'retryOf', 'createdAt', 'startedAt', 'finishedAt', 'createdByType', 'createdById'];

export class RunsService {
  constructor(
    private readonly db: Database,
    private readonly audit: AuditService,
    private readonly pipelines: PipelinesService,
    private readonly events: EventBus,
    private readonly artifactsDir: string,
  ) {}

  /** Runs the caller may read: admins the org's; managers their groups'; clients their own production runs; service accounts the runs they started. */
  visible(caller: AuthenticatedCaller, db: Knex | Knex.Transaction = this.db) {
    const principal = caller.principal;
    const query = db('runs').where('runs.orgId', principal.orgId);
    if (principal.kind === 'service') {
      query.where({ 'runs.createdByType': 'service', 'runs.createdById': principal.serviceAccountId });
    } else if (principal.role === 'manager') {
      query.whereIn('runs.pipelineId', db('pipelines').whereIn('groupId', db('groupMembers').where({ userId: principal.userId }).select('groupId')).select('id'));
    } else if (principal.role === 'client') {
      query.where({ 'runs.mode': 'production', 'runs.clientId': principal.userId });
    }
    return query;
  }

  async find(caller: AuthenticatedCaller, id: string, columns: string[] = RUN_COLUMNS): Promise<RunRow> {
    const row = await this.visible(caller).where('runs.id', id).first(columns.map((column) => `runs.${column}`));
    if (!row) throw notFound('Run');
    return row;
  }

  async create(caller: AuthenticatedCaller, pipelineId: string, request: NewRun) {
    const principal = caller.principal;
    if (principal.kind === 'user' && principal.role === 'client') throw forbidden();
    const pipeline = await this.pipelines.find(caller, pipelineId);
    let graph: Graph;
    let version: number | null = null;
    if (request.mode === 'test') {
      graph = pipeline.graph;
      await this.pipelines.assertRunnable(pipeline, graph);
    } else {
      if (!pipeline.enabled) throw conflict('The pipeline is disabled');
      version = request.version ?? pipeline.latestVersion;
      if (!version) throw conflict('The pipeline has no published version; publish it first');
      graph = (await this.pipelines.version(caller, pipelineId, version)).graph;
    }
    const clientId = request.clientId === undefined ? pipeline.clientId : request.clientId;
    if (clientId) await this.checkClient(caller, clientId);
    const trigger = principal.kind === 'service' ? 'api' : 'manual';
    return this.insertRun(caller, { orgId: pipeline.orgId, pipelineId, version, mode: request.mode, trigger, graph, input: request.input ?? null, clientId });
  }

  private async checkClient(caller: AuthenticatedCaller, clientId: string) {
    const principal = caller.principal;
    const client = await this.db('users').where({ id: clientId, orgId: principal.orgId, role: 'client' }).whereNull('deletedAt').first('id');
    const allowed =
      client && (principal.kind === 'service' || principal.role === 'admin' || (await this.db('managerClients').where({ managerId: principal.userId, clientId }).first()));
    if (!allowed) throw invalid({ clientId: 'is not a client of yours' }, 'Unknown client');
  }

  /**
   * Stores the run, its node rows, its queue job and its audit event in one statement: once
   * this resolves the run is committed and will execute; if it fails nothing was stored.
   */
  async insertRun(
    caller: Caller,
    run: { orgId: string; pipelineId: string; version: number | null; mode: 'test' | 'production'; trigger: string; graph: Graph; input: Json; clientId: string | null; retryOf?: string },
    reuse: Array<{ nodeId: string; output: Json; handle: string | null; input: Json }> = [],
    db: Knex | Knex.Transaction = this.db,
  ) {
    // Without a principal the run comes from a trigger (a webhook, a schedule): the system made it.
    const principal = caller.principal;
    const reused = new Map(reuse.map((node) => [node.nodeId, node]));
    const nodes = run.graph.nodes.map((node) => {
      const previous = reused.get(node.id);
      return previous
        ? { node_id: node.id, status: 'succeeded', output: previous.output, handle: previous.handle, input: previous.input }
        : { node_id: node.id, status: 'pending', output: null, handle: null, input: null };
    });
    const audit = this.audit.row(caller, {
      orgId: run.orgId,
      action: run.retryOf ? 'run.retried' : 'run.created',
      entityType: 'run',
      after: { pipelineId: run.pipelineId, mode: run.mode, version: run.version, trigger: run.trigger, retryOf: run.retryOf ?? null },
      ...(principal ? {} : { actor: { type: 'system' as const, id: null } }),
    });
    const { rows } = await db.raw(
      `with run as (
         insert into runs (org_id, pipeline_id, version, mode, status, trigger, graph, input, client_id, retry_of, created_by_type, created_by_id)
         values (:orgId, :pipelineId, :version, :mode, 'queued', :trigger, cast(:graph as jsonb), cast(:input as jsonb), :clientId, :retryOf, :createdByType, :createdById)
         returning id, status, created_at
       ),
       nodes as (
         insert into node_runs (org_id, run_id, node_id, status, output, handle, input)
         select :orgId, run.id, n.node_id, n.status, n.output, n.handle, n.input
         from run, jsonb_to_recordset(cast(:nodes as jsonb)) as n(node_id text, status text, output jsonb, handle text, input jsonb)
       ),
       job as (
         select graphile_worker.add_job(:task, json_build_object('runId', run.id::text), max_attempts => 10, job_key => 'run:' || run.id::text) from run
       ),
       audit as (
         insert into audit_events (org_id, actor_type, actor_id, action, entity_type, entity_id, after, ip, request_id)
         select :orgId, :actorType, :actorId, :action, 'run', run.id::text, cast(:after as jsonb), :ip, :requestId from run
       )
       select run.id, run.status, run.created_at, (select count(*) from job) as queued from run`,
      {
        orgId: run.orgId,
        pipelineId: run.pipelineId,
        version: run.version,
        mode: run.mode,
        trigger: run.trigger,
        graph: JSON.stringify(run.graph),
        input: JSON.stringify(run.input),
        clientId: run.clientId,
        retryOf: run.retryOf ?? null,
        createdByType: !principal ? 'system' : principal.kind === 'service' ? 'service' : 'user',
        createdById: !principal ? null : principal.kind === 'service' ? principal.serviceAccountId : principal.userId,
        nodes: JSON.stringify(nodes),
        task: RUN_TASK,
        actorType: audit.actorType,
        actorId: audit.actorId,
        action: audit.action,
        after: audit.after,
        ip: audit.ip,
        requestId: audit.requestId,
      },
    );
    const row = rows[0];
    return { id: row.id as string, status: row.status as string, createdAt: row.created_at as Date };
  }

  async list(caller: AuthenticatedCaller, filter: { pipelineId?: string; status?: string; clientId?: string; mode?: string; limit?: number; cursor?: string }) {
    const limit = filter.limit ?? 50;
    const query = this.visible(caller)
      .leftJoin('pipelines', 'pipelines.id', 'runs.pipelineId')
      .orderBy([{ column: 'runs.createdAt', order: 'desc' }, { column: 'runs.id', order: 'desc' }])
      .limit(limit + 1)
      .select(['runs.id', 'runs.pipelineId', 'pipelines.name as pipelineName', 'runs.version', 'runs.mode', 'runs.status', 'runs.trigger', 'runs.clientId', 'runs.error', 'runs.createdAt', 'runs.startedAt', 'runs.finishedAt', 'runs.retryOf']);
    if (filter.pipelineId) query.where('runs.pipelineId', filter.pipelineId);
    if (filter.status) query.where('runs.status', filter.status);
    if (filter.clientId) query.where('runs.clientId', filter.clientId);
    if (filter.mode) query.where('runs.mode', filter.mode);
    if (filter.cursor) {
      const [createdAt, id] = decodeCursor(filter.cursor);
      query.where((w) => w.where('runs.createdAt', '<', createdAt!).orWhere((w2) => w2.where('runs.createdAt', createdAt!).andWhere('runs.id', '<', id!)));
    }
    const rows = await query;
    const page = rows.slice(0, limit);
    const last = page[page.length - 1];
    return { items: page, nextCursor: rows.length > limit && last ? encodeCursor(last.createdAt.toISOString(), last.id) : null };
  }

  /** The run with the graph it executes (the snapshot), its nodes, their attempts and artifacts. */
  async get(caller: AuthenticatedCaller, id: string) {
    const run = await this.find(caller, id, [...RUN_COLUMNS, 'graph']);
    const [nodes, attempts] = await Promise.all([
      this.db('nodeRuns').where({ runId: id }).select('nodeId', 'status', 'input', 'output', 'error', 'handle', 'attempts', 'startedAt', 'finishedAt'),
      this.db('nodeAttempts').where({ runId: id }).orderBy('attempt').select('nodeId', 'attempt', 'status', 'error', 'startedAt', 'finishedAt'),
    ]);
    const order = new Map(run.graph.nodes.map((node, index) => [node.id, index]));
    nodes.sort((a, b) => (order.get(a.nodeId) ?? 0) - (order.get(b.nodeId) ?? 0));
    const artifacts = await this.db('artifacts').where({ runId: id }).select('id', 'nodeId', 'attempt', 'name', 'contentType', 'size', 'createdAt');
    return {
      ...run,
      nodes: nodes.map((node) => ({
        ...node,
        attempts: attempts.filter((attempt) => attempt.nodeId === node.nodeId).map(({ nodeId: _, ...attempt }) => attempt),
        attemptCount: node.attempts,
        artifacts: artifacts.filter((artifact) => artifact.nodeId === node.nodeId),
      })),
    };
  }

  async logs(caller: AuthenticatedCaller, id: string, filter: { nodeId?: string; after?: number; limit?: number }) {
    await this.find(caller, id, ['id']);
    const query = this.db('runLogs').where({ runId: id }).orderBy('id').limit(filter.limit ?? 5000).select('id', 'at', 'nodeId', 'attempt', 'stream', 'line');
    if (filter.nodeId) query.where({ nodeId: filter.nodeId });
    if (filter.after) query.where('id', '>', filter.after);
    return query;
  }

  async cancel(caller: AuthenticatedCaller, id: string) {
    if (caller.principal.kind === 'user' && caller.principal.role === 'client') throw forbidden();
    const run = await this.find(caller, id, ['id', 'orgId', 'status']);
    await this.db.transaction(async (trx) => {
      // A queued run is canceled at once; a running one is stopped by its worker.
      const queued = await trx('runs').where({ id, status: 'queued' }).update({ status: 'canceled', finishedAt: trx.fn.now(), cancelRequested: true });
      if (!queued) {
        const running = await trx('runs').where({ id, status: 'running' }).update({ cancelRequested: true });
        if (!running) throw conflict(`The run is already ${run.status}`);
      } else {
        await trx('nodeRuns').where({ runId: id }).whereNotIn('status', ['succeeded', 'failed', 'skipped']).update({ status: 'canceled' });
      }
      await this.audit.record(trx, caller, { orgId: run.orgId, action: 'run.cancel_requested', entityType: 'run', entityId: id });
    });
    await this.events.publish({ type: 'cancel', runId: id });
    return { id, status: 'canceling' };
  }

  async retry(caller: AuthenticatedCaller, id: string) {
    if (caller.principal.kind === 'user' && caller.principal.role === 'client') throw forbidden();
    const run = await this.find(caller, id, [...RUN_COLUMNS, 'graph']);
    if (run.status !== 'failed' && run.status !== 'canceled') throw conflict(`Only failed or canceled runs can be retried; this one is ${run.status}`);
    const succeeded = await this.db('nodeRuns').where({ runId: id, status: 'succeeded' }).select('nodeId', 'output', 'handle', 'input');
    const created = await this.insertRun(
      caller,
      { orgId: run.orgId, pipelineId: run.pipelineId, version: run.version, mode: run.mode, trigger: 'retry', graph: run.graph, input: run.input, clientId: run.clientId, retryOf: id },
      succeeded,
    );
    return { id: created.id, status: created.status, retryOf: id };
  }

  async artifact(caller: AuthenticatedCaller, runId: string, artifactId: string) {
    await this.find(caller, runId, ['id']);
    const artifact = await this.db('artifacts').where({ id: artifactId, runId }).first();
    if (!artifact) throw notFound('Artifact');
    const file = path.join(this.artifactsDir, artifact.storagePath);
    return { name: artifact.name as string, contentType: artifact.contentType as string, size: artifact.size as number, stream: fs.createReadStream(file) };
  }
}
