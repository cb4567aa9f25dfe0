import { createHmac, timingSafeEqual } from 'node:crypto';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import type Router from '@koa/router';
import { pino, type Logger } from 'pino';
import { collectDefaultMetrics, Registry } from 'prom-client';
import { auditRoutes } from './audit/audit.routes.js';
import { authRoutes } from './auth/auth.routes.js';
import type { Config } from './config/config.js';
import { loadMasterKey } from './config/master-key.js';
import { connect, migrate, type Database } from './db/database.js';
import { startEmbeddedPostgres } from './db/embedded.js';
import { groupsRoutes } from './groups/groups.routes.js';
import { healthRoutes } from './health/health.routes.js';
import { createApp } from './http/app.js';
import { buildOpenApi } from './http/openapi.js';
import type { AnyRoute } from './http/route.js';
import { orgsRoutes } from './orgs/orgs.routes.js';
import { outboxRoutes } from './outbox/outbox.routes.js';
import { isEmpty, seedDemo } from './seed/demo.js';
import { serviceAccountsRoutes } from './service-accounts/service-accounts.routes.js';
import { createServices, type Services } from './services.js';
import { usersRoutes } from './users/users.routes.js';

export const VERSION = '0.1.0';

export const routes: readonly AnyRoute[] = [
  ...healthRoutes,
  ...authRoutes,
  ...usersRoutes,
  ...groupsRoutes,
  ...serviceAccountsRoutes,
  ...orgsRoutes,
  ...auditRoutes,
  ...outboxRoutes,
];

export interface DatabaseHandle {
  db: Database;
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
  try {
    await migrate(db);
  } catch (error) {
    await db.destroy();
    await stopEmbedded();
    throw error;
  }
  return {
    db,
    close: async () => {
      await db.destroy();
      await stopEmbedded();
    },
  };
}

/**
 * The first process to start records a check value of the master key; a process started
 * later with another key refuses to run instead of failing to decrypt credentials.
 */
export async function verifyMasterKey(db: Database, masterKey: Buffer): Promise<void> {
  const check = createHmac('sha256', masterKey).update('piper:master-key-check').digest('base64');
  await db('instanceSettings').insert({ key: 'masterKeyCheck', value: JSON.stringify(check) }).onConflict('key').ignore();
  const row = await db('instanceSettings').where({ key: 'masterKeyCheck' }).first();
  const stored = Buffer.from(String(row.value));
  if (stored.length !== Buffer.byteLength(check) || !timingSafeEqual(stored, Buffer.from(check))) {
    throw new Error(
      'The master key does not match the one this database was set up with. Start with the original PIPER_MASTER_KEY ' +
        '(or the master.key file of the original data directory), or run `npm run rotate-master-key` with both keys.',
    );
  }
}

export interface PiperServer {
  url: string;
  port: number;
  services: Services;
  router: Router;
  logger: Logger;
  close(): Promise<void>;
}

export function createLogger(config: Config): Logger {
  return pino({ level: config.logLevel, base: { service: 'piper' }, redact: ['req.headers.authorization', '*.password', '*.token'] });
}

/** Starts the whole platform in this process: database, migrations, seed, HTTP API. */
export async function startServer(config: Config, logger = createLogger(config)): Promise<PiperServer> {
  const masterKey = await loadMasterKey(config.dataDir, config.masterKey);
  const database = await openDatabase(config, logger);
  const { db } = database;
  try {
    await verifyMasterKey(db, masterKey);
    if (config.seed === 'demo' && (await isEmpty(db))) {
      await seedDemo(db);
      logger.info('demo data seeded (password of every demo user: piper-demo-1)');
    }
    const metrics = new Registry();
    collectDefaultMetrics({ register: metrics });
    const openapi = buildOpenApi(routes, VERSION);
    const services: Services = { ...createServices({ db, config, logger, masterKey, metrics }), openapi: () => openapi };
    const { app, router } = createApp({ services, routes, logger });
    const server: Server = await new Promise((resolve, reject) => {
      const listening = app.listen(config.port, config.host, () => resolve(listening)).once('error', reject);
    });
    const port = (server.address() as AddressInfo).port;
    logger.info({ port }, `Piper listening on http://localhost:${port}`);
    return {
      url: `http://127.0.0.1:${port}`,
      port,
      services,
      router,
      logger,
      close: async () => {
        await new Promise<void>((resolve) => {
          server.close(() => resolve());
          server.closeAllConnections();
        });
        await database.close();
      },
    };
  } catch (error) {
    await database.close();
    throw error;
  }
}
