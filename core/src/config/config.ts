import path from 'node:path';
import { fileURLToPath } from 'node:url';

export interface Config {
  port: number;
  host: string;
  dataDir: string;
  databaseUrl: string | undefined;
  embeddedPgPort: number;
  seed: 'demo' | 'none';
  production: boolean;
  logLevel: string;
  trustProxy: boolean;
  bodyLimitBytes: number;
  /** Deliveries one webhook endpoint accepts per minute on one instance before 429. */
  webhookRatePerMinute: number;
  /** The npm registry plugins are installed from; npm's own configuration when unset. */
  npmRegistry: string | undefined;
  masterKey: string | undefined;
  tokenTtlSeconds: number;
  sessionMaxAgeSeconds: number;
  loginMaxFailuresPerAccount: number;
  loginMaxFailuresPerIp: number;
  loginWindowSeconds: number;
  resetTokenTtlSeconds: number;
  smtpUrl: string | undefined;
  mailFrom: string;
  publicUrl: string;
  /** The built web UI (ui/dist), served on the API's port; the UI is absent when the folder is. */
  uiDir: string;
  /** `all` (API and worker in one process, the default), `api` or `worker`. */
  role: 'all' | 'api' | 'worker';
  workerConcurrency: number;
  orgConcurrency: number;
  heartbeatMs: number;
  staleAfterMs: number;
  defaultNodeTimeoutMs: number;
  isolateMemoryMb: number;
  isolateTimeoutMs: number;
  /**
   * `sync` (default): an attempt's result is flushed to disk before dependents run. `async`: it is
   * committed (and visible) at once but flushed within a fraction of a second; a PostgreSQL crash
   * can then lose the last results, whose nodes run again (delivery is at least once anyway).
   */
  attemptCommit: 'sync' | 'async';
  /** `auto` runs script nodes on the Docker engine of DOCKER_HOST (or the local socket) when one answers; `off` never. */
  docker: 'auto' | 'off';
}

function int(env: NodeJS.ProcessEnv, name: string, fallback: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 0) throw new Error(`${name} must be a non-negative integer, got "${raw}"`);
  return value;
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const production = env.NODE_ENV === 'production';
  const seedEnv = env.PIPER_SEED;
  if (seedEnv !== undefined && seedEnv !== '' && seedEnv !== 'demo' && seedEnv !== 'none') {
    throw new Error(`PIPER_SEED must be "demo" or "none", got "${seedEnv}"`);
  }
  const seed = seedEnv === 'demo' || seedEnv === 'none' ? seedEnv : production ? 'none' : 'demo';
  const port = int(env, 'PORT', 3000);
  const role = env.PIPER_ROLE || 'all';
  if (role !== 'all' && role !== 'api' && role !== 'worker') throw new Error(`PIPER_ROLE must be all, api or worker, got "${role}"`);
  if (env.PIPER_ATTEMPT_COMMIT && !['sync', 'async'].includes(env.PIPER_ATTEMPT_COMMIT)) throw new Error('PIPER_ATTEMPT_COMMIT must be sync or async');
  return {
    port,
    host: env.HOST ?? '0.0.0.0',
    dataDir: path.resolve(env.PIPER_DATA_DIR ?? './data'),
    databaseUrl: env.DATABASE_URL || undefined,
    embeddedPgPort: int(env, 'PIPER_EMBEDDED_PG_PORT', 54329),
    seed,
    production,
    logLevel: env.LOG_LEVEL ?? 'info',
    trustProxy: env.PIPER_TRUST_PROXY === 'true',
    bodyLimitBytes: int(env, 'PIPER_BODY_LIMIT_BYTES', 1024 * 1024),
    webhookRatePerMinute: int(env, 'PIPER_WEBHOOK_RATE_PER_MINUTE', 3000),
    npmRegistry: env.PIPER_NPM_REGISTRY || undefined,
    masterKey: env.PIPER_MASTER_KEY || undefined,
    tokenTtlSeconds: int(env, 'PIPER_TOKEN_TTL_SECONDS', 15 * 60),
    sessionMaxAgeSeconds: int(env, 'PIPER_SESSION_MAX_AGE_SECONDS', 12 * 3600),
    loginMaxFailuresPerAccount: int(env, 'PIPER_LOGIN_MAX_FAILURES_PER_ACCOUNT', 5),
    loginMaxFailuresPerIp: int(env, 'PIPER_LOGIN_MAX_FAILURES_PER_IP', 50),
    loginWindowSeconds: int(env, 'PIPER_LOGIN_WINDOW_SECONDS', 15 * 60),
    resetTokenTtlSeconds: int(env, 'PIPER_RESET_TOKEN_TTL_SECONDS', 3600),
    smtpUrl: env.PIPER_SMTP_URL || undefined,
    mailFrom: env.PIPER_MAIL_FROM ?? 'Piper <piper@localhost>',
    publicUrl: env.PIPER_PUBLIC_URL ?? `http://localhost:${port}`,
    uiDir: path.resolve(env.PIPER_UI_DIR ?? fileURLToPath(new URL('../../../ui/dist', import.meta.url))),
    role,
    workerConcurrency: int(env, 'PIPER_WORKER_CONCURRENCY', 32),
    orgConcurrency: int(env, 'PIPER_ORG_CONCURRENCY', 100),
    heartbeatMs: int(env, 'PIPER_HEARTBEAT_MS', 1000),
    staleAfterMs: int(env, 'PIPER_STALE_AFTER_MS', 5000),
    defaultNodeTimeoutMs: int(env, 'PIPER_NODE_TIMEOUT_MS', 300_000),
    isolateMemoryMb: int(env, 'PIPER_ISOLATE_MEMORY_MB', 64),
    isolateTimeoutMs: int(env, 'PIPER_ISOLATE_TIMEOUT_MS', 1000),
    attemptCommit: env.PIPER_ATTEMPT_COMMIT === 'async' ? 'async' : 'sync',
    docker: env.PIPER_DOCKER === 'off' ? 'off' : 'auto',
  };
}
