import { randomUUID } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ArtifactContent, ArtifactRef, Json } from '@piper/sdk';
import type pg from 'pg';
import type { Database } from '../db/database.js';
import type { AttemptRecord, LogLine, NodeState, RunStore } from '../engine/executor.js';

/** The run's lease moved to another worker: this one must stop writing. */
export class LeaseLost extends Error {
  constructor(runId: string) {
    super(`Run ${runId} is now executed by another worker`);
  }
}

const LOG_FLUSH_MS = 100;

// The share lock makes a concurrent claim by another worker (which bumps the lease) wait for, or refuse, this write.
const ATTEMPT_FINISHED_SQL = `
  with lease as (select id from runs where id = $1 and lease = $2 for share),
  node as (
    update node_runs set status = $7, attempts = greatest(attempts, $5), output = $8::jsonb, error = $9::jsonb,
      handle = $10, input = coalesce(input, $11::jsonb), started_at = coalesce(started_at, $12),
      finished_at = case when $7 in ('succeeded', 'failed', 'canceled') then $13::timestamptz else null end
    where run_id = $1 and node_id = $4 and exists (select 1 from lease)
    returning id
  )
  insert into node_attempts (org_id, run_id, node_run_id, node_id, attempt, status, output, error, started_at, finished_at)
  select $3, $1, node.id, $4, $5, $6, $8::jsonb, $9::jsonb, $12, $13 from node
  on conflict (node_run_id, attempt) do update set status = excluded.status, output = excluded.output, error = excluded.error, finished_at = excluded.finished_at
  returning 1`;
const MAX_LOG_LINE = 16 * 1024;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * The engine's persistence in PostgreSQL. Every write is fenced by the run's lease, so a
 * worker that lost the run (its heartbeat went stale and another resumed it) writes nothing.
 */
export class PostgresRunStore implements RunStore {
  private logBuffer: Array<LogLine> = [];
  private logTimer: NodeJS.Timeout | undefined;
  private flushing: Promise<void> = Promise.resolve();

  constructor(
    private readonly db: Database,
    private readonly pool: pg.Pool,
    private readonly run: { id: string; orgId: string; lease: number },
    private readonly artifactsDir: string,
  ) {}

  static async loadStates(db: Database, runId: string): Promise<Map<string, NodeState>> {
    const rows = await db('nodeRuns').where({ runId }).select('nodeId', 'status', 'output', 'handle', 'error', 'attempts');
    const states = new Map<string, NodeState>();
    for (const row of rows) {
      const done = row.status === 'succeeded' || row.status === 'skipped' || row.status === 'failed';
      states.set(row.nodeId, {
        // An attempt that was under way when its worker died is lost: the node runs again.
        status: done ? row.status : 'pending',
        output: row.output ?? undefined,
        handle: row.handle,
        error: row.error,
        attempts: row.attempts,
        continued: row.status === 'failed' && row.output !== null,
      });
    }
    return states;
  }

  private async fenced<T>(work: (trx: Database) => Promise<T>): Promise<T> {
    return this.db.transaction(async (trx) => {
      const held = await trx('runs').where({ id: this.run.id, lease: this.run.lease }).update({ heartbeatAt: trx.fn.now() });
      if (held !== 1) throw new LeaseLost(this.run.id);
      return work(trx);
    });
  }

  async nodeRunning(nodeId: string, attempt: number, input: Json, startedAt: Date): Promise<void> {
    await this.db.raw(
      `with lease as (select id from runs where id = :runId and lease = :lease),
       node as (
         update node_runs set status = 'running', attempts = greatest(attempts, :attempt), started_at = coalesce(started_at, :startedAt),
           input = coalesce(input, cast(:input as jsonb))
         where run_id = :runId and node_id = :nodeId and status in ('pending', 'queued', 'running') and exists (select 1 from lease)
         returning id
       )
       insert into node_attempts (org_id, run_id, node_run_id, node_id, attempt, status, started_at)
       select :orgId, :runId, node.id, :nodeId, :attempt, 'running', :startedAt from node
       on conflict (node_run_id, attempt) do nothing`,
      { runId: this.run.id, lease: this.run.lease, orgId: this.run.orgId, nodeId, attempt, startedAt, input: JSON.stringify(input) },
    );
  }

  /**
   * One statement: the lease check, the attempt row and the node's new state commit together
   * (heartbeats are separate). It is the hottest write of the engine, so it is a named prepared
   * statement on the plain pg pool: PostgreSQL plans it once per connection.
   */
  async attemptFinished(record: AttemptRecord): Promise<void> {
    const result = await this.pool.query({
      name: 'piper_attempt_finished',
      text: ATTEMPT_FINISHED_SQL,
      values: [
        this.run.id,
        this.run.lease,
        this.run.orgId,
        record.nodeId,
        record.attempt,
        record.status,
        record.nodeStatus,
        record.output === null ? null : JSON.stringify(record.output),
        record.error === null ? null : JSON.stringify(record.error),
        record.handle,
        JSON.stringify(record.input),
        record.startedAt,
        record.finishedAt,
      ],
    });
    if (result.rowCount !== 1) throw new LeaseLost(this.run.id);
  }

  async nodesFinished(nodeIds: string[], status: 'skipped' | 'canceled'): Promise<void> {
    await this.fenced(async (trx) => {
      await trx('nodeRuns').where({ runId: this.run.id }).whereIn('nodeId', nodeIds).whereNotIn('status', ['succeeded', 'failed']).update({ status, finishedAt: trx.fn.now() });
      if (status === 'canceled') {
        await trx('nodeAttempts').where({ runId: this.run.id, status: 'running' }).whereIn('nodeId', nodeIds).update({ status: 'canceled', finishedAt: trx.fn.now() });
      }
    });
  }

  /** Log lines are buffered briefly and written in batches. */
  appendLogs(lines: LogLine[]): Promise<void> {
    this.logBuffer.push(...lines);
    this.logTimer ??= setTimeout(() => void this.flushLogs(), LOG_FLUSH_MS);
    return Promise.resolve();
  }

  /** Writes the buffered lines. Logs are best effort: a failed write loses lines, never the run. */
  flushLogs(): Promise<void> {
    clearTimeout(this.logTimer);
    this.logTimer = undefined;
    const batch = this.logBuffer;
    this.logBuffer = [];
    this.flushing = this.flushing.then(async () => {
      if (batch.length === 0) return;
      await this.db('runLogs').insert(
        batch.map((line) => ({
          orgId: this.run.orgId,
          runId: this.run.id,
          nodeId: line.nodeId,
          attempt: line.attempt,
          stream: line.stream,
          line: line.line.length > MAX_LOG_LINE ? line.line.slice(0, MAX_LOG_LINE) + '…' : line.line,
          at: line.at,
        })),
      ).catch(() => undefined);
    });
    return this.flushing;
  }

  /** Streams a file to the artifacts directory, then records it. */
  async writeArtifact(nodeId: string, attempt: number, name: string, data: string | Uint8Array | AsyncIterable<Uint8Array>, contentType: string): Promise<ArtifactRef> {
    const id = randomUUID();
    const relative = path.join(this.run.orgId, this.run.id, id);
    const file = path.join(this.artifactsDir, relative);
    await fs.mkdir(path.dirname(file), { recursive: true });
    const source = typeof data === 'string' || data instanceof Uint8Array ? Readable.from([Buffer.from(data)]) : Readable.from(data);
    await pipeline(source, createWriteStream(file));
    const { size } = await fs.stat(file);
    const safeName = path.basename(name).replace(/[^\w.\- ]/g, '_').slice(0, 200) || 'file';
    await this.db('artifacts').insert({ id, orgId: this.run.orgId, runId: this.run.id, nodeId, attempt, name: safeName, contentType, size, storagePath: relative });
    return { id, name: safeName, contentType, size };
  }

  /** An artifact of this run only: a handler cannot read another run's files by guessing ids. */
  async readArtifact(id: string): Promise<ArtifactContent> {
    const artifact = typeof id === 'string' && UUID.test(id) ? await this.db('artifacts').where({ id, runId: this.run.id, orgId: this.run.orgId }).first() : undefined;
    if (!artifact) throw new Error(`This run has no artifact ${typeof id === 'string' ? JSON.stringify(id) : 'of that reference'}`);
    const data = await fs.readFile(path.join(this.artifactsDir, artifact.storagePath));
    return { id: artifact.id, name: artifact.name, contentType: artifact.contentType, size: artifact.size, data };
  }
}
