import { createHash } from 'node:crypto';
import os from 'node:os';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import type Router from '@koa/router';
import { pino, type Logger } from 'pino';
import { collectDefaultMetrics, Registry } from 'prom-client';
import { auditRoutes } from './audit/audit.routes.js';
import { authRoutes } from './auth/auth.routes.js';
import { credentialsRoutes } from './credentials/credentials.routes.js';
import { Scheduler } from './triggers/scheduler.js';
import { triggersRoutes } from './triggers/triggers.routes.js';
import type { Config } from './config/config.js';
import { loadMasterKey, masterKeyCheck, sameCheck } from './config/master-key.js';
import { connect, migrate, type Database } from './db/database.js';
import pg from 'pg';
import { Logger as QueueLogger, runMigrations as runQueueMigrations } from 'graphile-worker';
import { startEmbeddedPostgres } from './db/embedded.js';
import { groupsRoutes } from './groups/groups.routes.js';
import { healthRoutes } from './health/health.routes.js';
import { createApp } from './http/app.js';
import { buildOpenApi } from './http/openapi.js';
import type { AnyRoute } from './http/route.js';
import { nodeTypesRoutes } from './node-types/node-types.routes.js';
import { createRegistry } from './node-types/builtin.js';
import { loadBundledPlugins } from './plugins/bundled.js';
import { pluginsRoutes } from './plugins/plugins.routes.js';
import { orgsRoutes } from './orgs/orgs.routes.js';
import { outboxRoutes } from './outbox/outbox.routes.js';
import { pipelinesRoutes } from './pipelines/pipelines.routes.js';
import { isEmpty, seedDemo } from './seed/demo.js';
import { serviceAccountsRoutes } from './service-accounts/service-accounts.routes.js';
import { settingsRoutes } from './settings/settings.routes.js';
import { createServices, type Services } from './services.js';
import { EventBus } from './runs/events.js';
import { runsRoutes } from './runs/runs.routes.js';
import { attachSocketServer } from './runs/socket.js';
import { ContainerRunner } from './sandbox/containers/runner.js';
import { IsolatePool } from './sandbox/isolate-pool.js';
import { Worker } from './worker/worker.js';
import { usersRoutes } from './users/users.routes.js';

export const VERSION = '0.1.0';

const QUIET_QUEUE_LOGGER = new QueueLogger(() => () => {});

export const routes: readonly AnyRoute[] = [
  ...healthRoutes,
  ...authRoutes,
  ...usersRoutes,
  ...groupsRoutes,
  ...serviceAccountsRoutes,
  ...credentialsRoutes,
  ...orgsRoutes,
  ...auditRoutes,
  ...outboxRoutes,
  ...nodeTypesRoutes,
  ...pluginsRoutes,
  ...pipelinesRoutes,
  ...runsRoutes,
  ...settingsRoutes,
  ...triggersRoutes,
];

export interface DatabaseHandle {
  db: Database;
  /** A plain pg pool for graphile-worker and event publishing. */
  pool: pg.Pool;
  url: string;
  close(): Promise<void>;
}

/** Connects to DATABASE_URL, or starts the embedded server in the data directory; then migrates. */
export async function openDatabase(config: Config, logger: Logger): Promise<DatabaseHandle> {
  let url = config.databaseUrl;
  let stopEmbedded = async () => {};
  if (!url) {
    const started = Date.now();
    const embedded = await startEmbeddedPostgres(path.join(config.dataDir, 'postgres'), config.embeddedPgPort, logger);
    url = embedded.url;
    stopEmbedded = embedded.stop;
    logger.info({ ms: Date.now() - started, dir: path.join(config.dataDir, 'postgres') }, 'embedded PostgreSQL started');
  }
  const db = connect(url);
  // graphile-worker holds a connection per job under way, so the pool outgrows the worker concurrency.
  const pool = new pg.Pool({ connectionString: url, max: config.workerConcurrency + 16 });
  let closing = false;
  const onError = (error: Error) => closing || logger.warn({ err: error }, 'database connection failed');
  pool.on('error', onError);
  pool.on('connect', (client) => client.on('error', onError));
  const close = async () => {
    closing = true;
    await db.destroy();
    await pool.end();
    await stopEmbedded();
  };
  try {
    await migrate(db);
    await runQueueMigrations({ pgPool: pool, logger: QUIET_QUEUE_LOGGER });
  } catch (error) {
    await close();
    throw error;
  }
  return { db, pool, url, close };
}

/**
 * The first process to start records a check value of the master key; a process started
 * later with another key refuses to run instead of failing to decrypt credentials.
 */
export async function verifyMasterKey(db: Database, masterKey: Buffer): Promise<void> {
  const check = masterKeyCheck(masterKey);
  await db('instanceSettings').insert({ key: 'masterKeyCheck', value: JSON.stringify(check) }).onConflict('key').ignore();
  const row = await db('instanceSettings').where({ key: 'masterKeyCheck' }).first();
  if (!sameCheck(String(row.value), check)) {
    throw new Error(
      'The master key does not match the one this database was set up with. Start with the original PIPER_MASTER_KEY ' +
        '(or the master.key file of the original data directory). If `npm run rotate-master-key` was interrupted, ' +
        'the new key is in master.key.next of the data directory.',
    );
  }
}

/**
 * The Docker runner of script nodes, when an engine answers. Containers are labelled with this
 * installation (host and data directory), and its leftovers from a crash are removed now.
 */
async function startScriptRunner(config: Config, logger: Logger, closers: Array<() => Promise<void> | void>): Promise<ContainerRunner | undefined> {
  if (config.docker === 'off') return undefined;
  const label = createHash('sha256').update(`${os.hostname()}:${config.dataDir}`).digest('hex').slice(0, 16);
  const runner = new ContainerRunner({ labels: { 'piper.worker': label } });
  try {
    await Promise.race([runner.docker.ping(), new Promise((_, reject) => setTimeout(() => reject(new Error('no answer in 3 s')), 3000))]);
    const removed = await runner.sweep();
    if (removed) logger.warn({ removed }, 'removed script containers left by a previous run of this worker');
    closers.push(() => runner.close());
    return runner;
  } catch (error) {
    logger.warn({ err: error }, 'no Docker engine answers: script nodes will fail until one does (set DOCKER_HOST, or PIPER_DOCKER=off to silence this)');
    await runner.close();
    return undefined;
  }
}

function attemptPool(url: string, closers: Array<() => Promise<void> | void>): pg.Pool {
  const asyncPool = new pg.Pool({ connectionString: url, max: 10, options: '-c synchronous_commit=off' });
  asyncPool.on('error', () => undefined);
  closers.unshift(() => asyncPool.end());
  return asyncPool;
}

export interface PiperServer {
  url: string;
  port: number;
  services: Services;
  router: Router;
  logger: Logger;
  worker: Worker | undefined;
  isolates: IsolatePool;
  close(): Promise<void>;
}

export function createLogger(config: Config): Logger {
  return pino({ level: config.logLevel, base: { service: 'piper' }, redact: ['req.headers.authorization', '*.password', '*.token'] });
}

/**
 * Starts Piper in this process: database, migrations, seed, and its role: the HTTP API with
 * Socket.IO, the worker, or both (the default, what `npm start` runs).
 */
export async function startServer(config: Config, logger = createLogger(config)): Promise<PiperServer> {
  const masterKey = await loadMasterKey(config.dataDir, config.masterKey);
  const database = await openDatabase(config, logger);
  const { db, pool } = database;
  const closers: Array<() => Promise<void> | void> = [];
  const close = async () => {
    for (const closer of closers.reverse()) await closer();
    await database.close();
  };
  try {
    await verifyMasterKey(db, masterKey);
    if (config.seed === 'demo' && (await isEmpty(db))) {
      await seedDemo(db);
      logger.info('demo data seeded (password of every demo user: piper-demo-1)');
    }
    const registry = createRegistry();
    const bundledPlugins = await loadBundledPlugins(registry, logger);
    const events = new EventBus(database.url, pool, logger);
    await events.listen();
    closers.push(() => events.close());
    const isolates = new IsolatePool({
      defaultLimits: { memoryMb: config.isolateMemoryMb, timeoutMs: config.isolateTimeoutMs },
      // The failing call already failed its node and the pool carries on; only the leaked isolate thread remains.
      onCatastrophicError: (message) => logger.error({ isolate: message }, 'an isolate ran V8 out of memory; restart this process when convenient'),
    });
    closers.push(() => isolates.dispose());

    const metrics = new Registry();
    collectDefaultMetrics({ register: metrics });
    const openapi = buildOpenApi(routes, VERSION);
    const services: Services = { ...createServices({ db, config, logger, masterKey, metrics, registry, events }), openapi: () => openapi };
    await services.plugins.recordBundled(bundledPlugins);
    // Installed plugins load now, and again whenever any instance installs or removes one.
    await services.pluginInstaller.sync();
    closers.push(events.subscribeAll((event) => event.type === 'plugins' && void services.pluginInstaller.sync()));

    let worker: Worker | undefined;
    if (config.role !== 'api') {
      const scripts = await startScriptRunner(config, logger, closers);
      worker = new Worker(db, pool, registry, isolates, events, services.settings, logger, {
        concurrency: config.workerConcurrency,
        orgConcurrency: config.orgConcurrency,
        heartbeatMs: config.heartbeatMs,
        staleAfterMs: config.staleAfterMs,
        defaultNodeTimeoutMs: config.defaultNodeTimeoutMs,
        dataDir: config.dataDir,
        attemptPool: config.attemptCommit === 'async' ? attemptPool(database.url, closers) : pool,
        scripts,
        credentials: services.credentials,
        scriptTypes: services.scriptTypes,
      });
      await worker.start();
      closers.push(() => worker!.stop());
      const scheduler = new Scheduler(db, services.runs, logger);
      scheduler.start();
      closers.push(() => scheduler.stop());
    }

    const { app, router } = createApp({ services, routes, logger });
    let port = 0;
    if (config.role !== 'worker') {
      const server: Server = await new Promise((resolve, reject) => {
        const listening = app.listen(config.port, config.host, () => resolve(listening)).once('error', reject);
      });
      const io = attachSocketServer(server, services, logger);
      port = (server.address() as AddressInfo).port;
      closers.push(
        () =>
          new Promise<void>((resolve) => {
            io.close();
            server.close(() => resolve());
            server.closeAllConnections();
          }),
      );
      logger.info({ port, role: config.role }, `Piper listening on http://localhost:${port}`);
    }
    return { url: `http://127.0.0.1:${port}`, port, services, router, logger, worker, isolates, close };
  } catch (error) {
    await close();
    throw error;
  }
}
