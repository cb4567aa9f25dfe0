import { randomUUID } from 'node:crypto';
import os from 'node:os';
import path from 'node:path';
import type { Json, ScriptRequest } from '@piper/sdk';
import { Logger as QueueLogger, run as runGraphileWorker, type Runner } from 'graphile-worker';
import type pg from 'pg';
import type { Logger } from 'pino';
import { CredentialUnavailable, type CredentialsService } from '../credentials/credentials.service.js';
import type { Database } from '../db/database.js';
import { INTERRUPTED, NodeFailure, RunExecutor, type RunInfo, type RunOutcome } from '../engine/executor.js';
import { Redactor } from '../engine/redactor.js';
import type { NodeTypeLookup, NodeTypeRegistry, RegisteredNodeType } from '../node-types/registry.js';
import type { ScriptNodeTypes } from '../node-types/script-types.js';
import type { GraphNode } from '../pipelines/graph.js';
import type { EventBus } from '../runs/events.js';
import { enqueueRun, RUN_TASK } from '../runs/queue.js';
import { LeaseLost, PostgresRunStore } from '../runs/run-store.js';
import type { IsolateLimits, IsolatePool } from '../sandbox/isolate-pool.js';
import type { OrgSettings, SettingsService } from '../settings/settings.service.js';

export interface WorkerOptions {
  /** Runs executed at once by this worker. */
  concurrency: number;
  /** Runs of one org executing at once across every worker. */
  orgConcurrency: number;
  heartbeatMs: number;
  /** A running run whose heartbeat is older than this is resumed by another worker. */
  staleAfterMs: number;
  defaultNodeTimeoutMs: number;
  dataDir: string;
  /** Runs script nodes; absent when no Docker engine is configured. */
  scripts?: ScriptRunner;
  /** Pool for attempt results; with PIPER_ATTEMPT_COMMIT=async its sessions skip waiting for the WAL flush. */
  attemptPool: pg.Pool;
  /** Decrypts the credentials nodes name (or their org's default of the wanted type). */
  credentials: Pick<CredentialsService, 'resolve'>;
  /** Script node types defined in the browser, by org. */
  scriptTypes: Pick<ScriptNodeTypes, 'lookup'>;
}

/** What the worker needs of a container runner (sandbox/containers): one fresh container per call. */
export interface ScriptRunner {
  run(request: {
    language: 'python' | 'javascript' | 'bash';
    code: string;
    input: Json;
    args: Json;
    env?: Record<string, string>;
    image?: string;
    trust: 'restricted' | 'trusted';
    limits: { timeoutMs: number; memoryMb: number; cpus: number; pids: number };
    signal?: AbortSignal;
    onLog?(stream: 'stdout' | 'stderr', line: string): void;
  }): Promise<{ output: Json; files: Array<{ name: string; data: Buffer }> }>;
}

interface ClaimedRun extends RunInfo {
  lease: number;
  cancelRequested: boolean;
}

interface ActiveRun {
  controller: AbortController;
  /** Stops listening for this run's cancel requests. */
  unsubscribe: () => void;
}

/**
 * Executes runs from the graphile-worker queue. Each run is one job; inside it the engine
 * commits every attempt before scheduling the next node. Heartbeats mark the runs a worker
 * holds; a reaper in every worker resumes runs whose worker went silent, under a new lease.
 */
export class Worker {
  readonly id = `${os.hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`;
  private runner: Runner | undefined;
  private readonly active = new Map<string, ActiveRun>();
  private timers: NodeJS.Timeout[] = [];

  constructor(
    private readonly db: Database,
    private readonly pgPool: pg.Pool,
    private readonly registry: NodeTypeRegistry,
    private readonly isolates: IsolatePool,
    private readonly events: EventBus,
    private readonly settings: SettingsService,
    private readonly logger: Logger,
    private readonly options: WorkerOptions,
  ) {}

  async start(): Promise<void> {
    this.runner = await runGraphileWorker({
      pgPool: this.pgPool,
      concurrency: this.options.concurrency,
      noHandleSignals: true,
      pollInterval: 1000,
      logger: this.queueLogger(),
      taskList: { [RUN_TASK]: async (payload) => this.execute((payload as { runId: string }).runId) },
    });
    this.timers.push(setInterval(() => void this.heartbeat(), this.options.heartbeatMs));
    this.timers.push(setInterval(() => void this.reap(), Math.max(500, Math.floor(this.options.staleAfterMs / 2))));
    this.logger.info({ workerId: this.id, concurrency: this.options.concurrency }, 'worker started');
  }

  /** Stops taking jobs and hands the runs under way back to the queue for another worker. */
  /** graphile-worker's messages go to our logger: errors and warnings as such, the rest at debug. */
  private queueLogger(): QueueLogger {
    return new QueueLogger(() => (level, message, meta) => {
      const method = level === 'error' ? 'error' : level === 'warning' ? 'warn' : 'debug';
      this.logger[method]({ queue: meta }, message);
    });
  }

  async stop(): Promise<void> {
    for (const timer of this.timers) clearInterval(timer);
    this.timers = [];
    for (const run of this.active.values()) run.controller.abort(INTERRUPTED);
    await this.runner?.stop();
  }

  private async heartbeat(): Promise<void> {
    if (this.active.size === 0) return;
    try {
      await this.db('runs').whereIn('id', [...this.active.keys()]).where({ workerId: this.id }).update({ heartbeatAt: this.db.fn.now() });
    } catch (error) {
      this.logger.warn({ err: error }, 'heartbeat failed');
    }
  }

  /**
   * Requeues runs whose worker stopped beating. (A queued run always has its job: both are
   * written by one statement, and a deferred claim requeues before it lets go.)
   */
  async reap(): Promise<number> {
    try {
      return await this.db.transaction(async (trx) => {
        const stale: Array<{ id: string }> = await trx('runs')
          .where('status', 'running')
          .andWhere('heartbeatAt', '<', trx.raw(`now() - make_interval(secs => ?)`, [this.options.staleAfterMs / 1000]))
          .forUpdate()
          .skipLocked()
          .limit(100)
          .select('id');
        for (const { id } of stale) {
          await trx('runs').where({ id }).update({ heartbeatAt: trx.fn.now() });
          await enqueueRun(trx, id);
        }
        if (stale.length) this.logger.warn({ runs: stale.map((run) => run.id) }, 'resuming runs of a silent worker');
        return stale.length;
      });
    } catch (error) {
      this.logger.warn({ err: error }, 'reaper failed');
      return 0;
    }
  }

  /**
   * Claims a run under a new lease, in one statement: nothing when it is finished or canceled,
   * `deferred` (requeued shortly) when its org already runs its limit. Attempts left open by a
   * previous worker of the run are marked lost. The org limit is read at claim time, so claims
   * racing on several workers can exceed it by at most one run each.
   */
  private async claim(runId: string) {
    const { rows } = await this.db.raw(
      `with target as (
         select id, org_id, status from runs where id = :runId and status in ('queued', 'running') for update
       ),
       busy as (
         select count(*) as running from runs where org_id = (select org_id from target) and status = 'running' and id <> :runId
       ),
       claimed as (
         update runs r set status = 'running', started_at = coalesce(r.started_at, now()), heartbeat_at = now(), worker_id = :workerId, lease = r.lease + 1
         from target
         where r.id = target.id and (target.status = 'running' or (select running from busy) < :limit)
         returning r.id, r.org_id, r.pipeline_id, r.version, r.mode, r.input, r.graph, r.lease, r.cancel_requested
       ),
       lost as (
         update node_attempts set status = 'failed', finished_at = now(), error = cast(:lostError as jsonb)
         where run_id = (select id from claimed) and status = 'running'
       )
       select claimed.*, (select count(*) from target) as found from claimed right join (select 1) as one on true`,
      { runId, workerId: this.id, limit: this.options.orgConcurrency, lostError: JSON.stringify({ message: 'The worker executing this attempt stopped', code: 'worker_lost' }) },
    );
    const row = rows[0];
    if (row?.id) {
      const run: ClaimedRun = { id: row.id, orgId: row.org_id, pipelineId: row.pipeline_id, version: row.version, mode: row.mode, input: row.input, graph: row.graph, lease: row.lease, cancelRequested: row.cancel_requested };
      return { kind: 'claimed' as const, run };
    }
    if (Number(row?.found) > 0) {
      await enqueueRun(this.db, runId, new Date(Date.now() + 250));
      return { kind: 'deferred' as const };
    }
    return { kind: 'done' as const };
  }

  private async execute(runId: string): Promise<void> {
    const claim = await this.claim(runId);
    if (claim.kind !== 'claimed') return;
    const { run } = claim;
    const controller = new AbortController();
    const store = new PostgresRunStore(this.db, this.options.attemptPool, run, path.join(this.options.dataDir, 'artifacts'));
    this.active.set(runId, { controller, unsubscribe: this.events.subscribe(runId, (event) => event.type === 'cancel' && controller.abort()) });
    if (run.cancelRequested) controller.abort();
    void this.events.publish({ type: 'run', runId, status: 'running', at: new Date().toISOString() });
    let outcome: RunOutcome;
    try {
      const states = await PostgresRunStore.loadStates(this.db, runId);
      // Only a graph with a type the instance does not know needs the org's script node types.
      const known = run.graph.nodes.every((node) => this.registry.get(node.type, node.data?.version ?? ''));
      const nodeTypes = known ? this.registry : await this.options.scriptTypes.lookup(run.orgId);
      const executor = new RunExecutor(run, states, store, this.executorOptions(run, nodeTypes, await this.settings.forOrg(run.orgId), store), controller.signal);
      outcome = await executor.execute();
    } catch (error) {
      if (error instanceof LeaseLost) {
        this.logger.warn({ runId }, error.message);
        return this.release(runId);
      }
      this.logger.error({ err: error, runId }, 'run execution failed');
      outcome = { status: 'failed', output: null, error: { message: `Internal error: ${(error as Error).message}`, code: 'internal' } };
    }
    try {
      await store.flushLogs();
      if (outcome.status === 'interrupted') {
        await this.db.transaction(async (trx) => {
          const released = await trx('runs').where({ id: runId, lease: run.lease }).update({ status: 'queued', workerId: null });
          if (released) await enqueueRun(trx, runId);
        });
        return;
      }
      const finished = await this.db('runs')
        .where({ id: runId, lease: run.lease })
        .update({ status: outcome.status, output: JSON.stringify(outcome.output), error: outcome.error ? JSON.stringify(outcome.error) : null, finishedAt: this.db.fn.now() });
      if (finished) await this.events.publish({ type: 'run', runId, status: outcome.status, error: outcome.error, at: new Date().toISOString() });
    } finally {
      this.release(runId);
    }
  }

  private release(runId: string): void {
    this.active.get(runId)?.unsubscribe();
    this.active.delete(runId);
  }

  /** The engine's capabilities for one run; sandbox limits are the org's, overridden per node. */
  private executorOptions(run: RunInfo, nodeTypes: NodeTypeLookup, settings: OrgSettings, store: PostgresRunStore) {
    const limits = (node: GraphNode): IsolateLimits => ({ ...settings.sandbox, ...node.data?.settings?.sandbox });
    const redactor = new Redactor();
    return {
      nodeType: (type: string, version: string) => nodeTypes.get(type, version),
      evaluate: (expressions: string[], scope: Record<string, Json>, node: GraphNode) => this.isolates.evaluate(expressions, scope, { limits: limits(node) }),
      sandbox: (node: GraphNode, signal: AbortSignal, output: (stream: 'stdout' | 'stderr', line: string) => void, attempt: number) => ({
        run: (code: string, scope: Record<string, Json>) => this.isolates.run(code, scope, { limits: limits(node), signal }),
        script: async (request: ScriptRequest) => {
          if (!this.options.scripts) throw new NodeFailure('Script nodes need a Docker engine, and this worker has none configured', 'no_container_runtime');
          const result = await this.options.scripts.run({
            language: request.language,
            code: request.code,
            input: request.input,
            args: request.args,
            trust: request.trust ?? 'restricted',
            env: request.env,
            image: request.image,
            limits: { ...settings.scripts, ...(request.timeoutMs ? { timeoutMs: request.timeoutMs } : {}), ...(request.memoryMb ? { memoryMb: request.memoryMb } : {}) },
            signal,
            onLog: output,
          });
          for (const file of result.files) await store.writeArtifact(node.id, attempt, file.name, file.data, 'application/octet-stream');
          return result.output;
        },
      }),
      credentials: async (node: GraphNode, type: RegisteredNodeType) => {
        try {
          const credential = await this.options.credentials.resolve({ orgId: run.orgId, pipelineId: run.pipelineId, credentialId: node.data?.credentialId, wanted: type.definition.credential });
          if (!credential) return undefined;
          redactor.add(credential.secrets);
          return credential.data;
        } catch (error) {
          if (error instanceof CredentialUnavailable) throw new NodeFailure(error.message, error.code);
          throw error;
        }
      },
      redactor,
      emit: (event: Parameters<EventBus['publish']>[0]) => void this.events.publish(event),
      defaultTimeoutMs: this.options.defaultNodeTimeoutMs,
    };
  }
}
