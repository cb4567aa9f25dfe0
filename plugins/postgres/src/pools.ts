import { createHash } from 'node:crypto';
import pg from 'pg';
import { clientConfig, type PostgresConnection } from './connection.js';

/** A pool nobody used for this long is closed; a credential that changed leaves its old pool behind. */
const IDLE_POOL_MS = 5 * 60_000;
/** More distinct credentials than this in one worker: the least recently used idle pool is closed. */
const MAX_POOLS = 20;
const IDLE_CONNECTION_MS = 30_000;
const CONNECTION_LIFETIME_S = 30 * 60;
/** A session left in a transaction by a crashed attempt must not hold locks for long. */
const IDLE_IN_TRANSACTION_MS = 60_000;

interface PoolEntry {
  pool: pg.Pool;
  lastUsed: number;
  borrowed: number;
}

const pools = new Map<string, PoolEntry>();
/** The statement_timeout a pooled session currently has, so it is set only when it changes. */
const sessionTimeouts = new WeakMap<pg.PoolClient, number>();
let sweeper: NodeJS.Timeout | undefined;

function poolKey(connection: PostgresConnection): string {
  const { connectionString, host, port, database, user, password, ssl, caCertificate, maxConnections } = connection;
  return createHash('sha256')
    .update(JSON.stringify([connectionString, host, port, database, user, password, ssl, caCertificate, maxConnections]))
    .digest('hex');
}

function close(key: string, entry: PoolEntry): void {
  pools.delete(key);
  void entry.pool.end().catch(() => undefined);
}

function sweep(): void {
  const now = Date.now();
  for (const [key, entry] of pools) if (entry.borrowed === 0 && now - entry.lastUsed > IDLE_POOL_MS) close(key, entry);
  if (pools.size === 0 && sweeper) {
    clearInterval(sweeper);
    sweeper = undefined;
  }
}

function poolFor(connection: PostgresConnection): PoolEntry {
  const key = poolKey(connection);
  let entry = pools.get(key);
  if (!entry) {
    if (pools.size >= MAX_POOLS) {
      const idle = [...pools].filter(([, candidate]) => candidate.borrowed === 0).sort(([, a], [, b]) => a.lastUsed - b.lastUsed)[0];
      if (idle) close(...idle);
    }
    const pool = new pg.Pool({
      ...clientConfig(connection),
      max: connection.maxConnections ?? 5,
      idleTimeoutMillis: IDLE_CONNECTION_MS,
      maxLifetimeSeconds: CONNECTION_LIFETIME_S,
      idle_in_transaction_session_timeout: IDLE_IN_TRANSACTION_MS,
      allowExitOnIdle: true,
    });
    // An idle session the server drops (restart, failover) emits 'error' on the pool; unheard, it would crash the worker.
    pool.on('error', () => undefined);
    entry = { pool, lastUsed: Date.now(), borrowed: 0 };
    pools.set(key, entry);
    sweeper ??= setInterval(sweep, 30_000).unref();
  }
  return entry;
}

async function cancelBackend(connection: PostgresConnection, processId: number): Promise<void> {
  const client = new pg.Client(clientConfig(connection));
  try {
    await client.connect();
    await client.query('select pg_cancel_backend($1)', [processId]);
  } catch {
    // The query ends with the session anyway: the borrowed client is destroyed below.
  } finally {
    await client.end().catch(() => undefined);
  }
}

export class OpenTransactionError extends Error {}

/**
 * Runs `work` on a pooled session of the credential with the statement timeout set. An abort
 * (the run canceled, the node timed out) cancels the running statement on the server.
 */
export async function withSession<T>(connection: PostgresConnection, options: { signal: AbortSignal; statementTimeoutMs: number }, work: (client: pg.PoolClient) => Promise<T>): Promise<T> {
  options.signal.throwIfAborted();
  const entry = poolFor(connection);
  entry.borrowed++;
  entry.lastUsed = Date.now();
  let client: pg.PoolClient | undefined;
  let broken: Error | undefined;
  let failedInDatabase = false;
  let cancel: (() => void) | undefined;
  try {
    client = await entry.pool.connect();
    if (sessionTimeouts.get(client) !== options.statementTimeoutMs) {
      await client.query("select set_config('statement_timeout', $1, false)", [String(options.statementTimeoutMs)]);
      sessionTimeouts.set(client, options.statementTimeoutMs);
    }
    const processId = (client as unknown as { processID: number }).processID;
    cancel = () => {
      broken = new Error('The query was canceled');
      void cancelBackend(connection, processId);
    };
    options.signal.addEventListener('abort', cancel, { once: true });
    const result = await work(client);
    if (client.getTransactionStatus() === 'T') {
      throw new OpenTransactionError('The SQL left a transaction open (BEGIN without COMMIT), so it was rolled back: put the whole transaction in one query');
    }
    return result;
  } catch (error) {
    if (error instanceof pg.DatabaseError) failedInDatabase = true;
    else if (client && !(error instanceof OpenTransactionError)) broken ??= error as Error;
    throw error;
  } finally {
    if (cancel) options.signal.removeEventListener('abort', cancel);
    // A transaction left open or failed (an error between BEGIN and COMMIT) must not reach the next borrower.
    // After an error the session's transaction status is not known yet (pg rejects before the server is
    // ready again), so a rollback is sent anyway: outside a transaction it only warns.
    if (client && !broken && (failedInDatabase || client.getTransactionStatus() !== 'I')) {
      await client.query('rollback').catch((error: Error) => {
        broken = error;
      });
    }
    // A session whose connection failed or whose query was canceled mid-way is not reused.
    client?.release(broken);
    entry.borrowed--;
    entry.lastUsed = Date.now();
  }
}

/** Closes every pool: for tests and a worker's shutdown. Pools also close themselves when idle. */
export async function closePools(): Promise<void> {
  const entries = [...pools];
  pools.clear();
  if (sweeper) clearInterval(sweeper);
  sweeper = undefined;
  await Promise.all(entries.map(([, entry]) => entry.pool.end().catch(() => undefined)));
}

/** How many pools are open, for tests. */
export function openPoolCount(): number {
  return pools.size;
}
