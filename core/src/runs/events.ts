import { EventEmitter } from 'node:events';
import pg from 'pg';
import type { Logger } from 'pino';
import type { RunEvent, RunStatus } from '../engine/executor.js';

export type BusEvent =
  | RunEvent
  | { type: 'run'; runId: string; status: RunStatus; output?: unknown; error?: unknown; at: string }
  | { type: 'cancel'; runId: string }
  /** Plugins were installed or removed: every instance loads what the database lists. */
  | { type: 'plugins'; runId?: undefined };

const CHANNEL = 'piper_events';
const MAX_PAYLOAD = 7000;
const MAX_LOG_IN_EVENT = 2000;
const FLUSH_MS = 15;
const ANY = Symbol('any run');

/**
 * Run events between processes through PostgreSQL LISTEN/NOTIFY: workers publish node and log
 * events, every API instance hears them all and forwards them to its Socket.IO and SSE clients;
 * API instances publish cancel requests that the executing worker hears. Events are batched
 * briefly so that a fast run costs one notification, not one per node.
 */
export class EventBus {
  private readonly emitter = new EventEmitter();
  private pending: BusEvent[] = [];
  private timer: NodeJS.Timeout | undefined;
  private listener: pg.Client | undefined;
  private closed = false;

  constructor(
    private readonly url: string,
    private readonly pool: pg.Pool,
    private readonly logger: Logger,
  ) {
    this.emitter.setMaxListeners(0);
  }

  async listen(): Promise<void> {
    const client = new pg.Client({ connectionString: this.url });
    client.on('error', (error) => {
      this.logger.warn({ err: error }, 'event listener connection lost; reconnecting');
      this.listener = undefined;
      if (!this.closed) setTimeout(() => void this.listen().catch(() => undefined), 500);
    });
    await client.connect();
    client.on('notification', (message) => {
      if (message.channel !== CHANNEL || !message.payload) return;
      try {
        for (const event of JSON.parse(message.payload) as BusEvent[]) {
          if (event.runId) this.emitter.emit(event.runId, event);
          this.emitter.emit(ANY, event);
        }
      } catch (error) {
        this.logger.warn({ err: error }, 'unreadable event');
      }
    });
    await client.query(`listen ${CHANNEL}`);
    this.listener = client;
  }

  /** Queues an event for the next batch. */
  publish(event: BusEvent): Promise<void> {
    if (event.type === 'log' && event.line.length > MAX_LOG_IN_EVENT) event = { ...event, line: event.line.slice(0, MAX_LOG_IN_EVENT) + '…' };
    this.pending.push(event);
    if (event.type === 'cancel' || event.type === 'run' || event.type === 'plugins') return this.flush();
    this.timer ??= setTimeout(() => void this.flush(), FLUSH_MS);
    return Promise.resolve();
  }

  async flush(): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    const events = this.pending;
    this.pending = [];
    const batches: string[] = [];
    let batch: string[] = [];
    let size = 2;
    for (const event of events) {
      const text = JSON.stringify(event);
      if (text.length + 1 > MAX_PAYLOAD) continue; // only oversized outputs; the API serves them
      if (size + text.length + 1 > MAX_PAYLOAD) {
        batches.push(`[${batch.join(',')}]`);
        batch = [];
        size = 2;
      }
      batch.push(text);
      size += text.length + 1;
    }
    if (batch.length) batches.push(`[${batch.join(',')}]`);
    for (const payload of batches) {
      try {
        await this.pool.query('select pg_notify($1, $2)', [CHANNEL, payload]);
      } catch (error) {
        this.logger.warn({ err: error }, 'could not publish run events');
      }
    }
  }

  /** Every event of every run (for monitoring and benchmarks). */
  subscribeAll(listener: (event: BusEvent) => void): () => void {
    this.emitter.on(ANY, listener);
    return () => this.emitter.off(ANY, listener);
  }

  subscribe(runId: string, listener: (event: BusEvent) => void): () => void {
    this.emitter.on(runId, listener);
    return () => this.emitter.off(runId, listener);
  }

  async close(): Promise<void> {
    this.closed = true;
    await this.flush();
    await this.listener?.end().catch(() => undefined);
  }
}
