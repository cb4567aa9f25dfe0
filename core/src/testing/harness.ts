import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { pino } from 'pino';
import { loadConfig, type Config } from '../config/config.js';
import { startEmbeddedPostgres } from '../db/embedded.js';
import { DEMO_PASSWORD } from '../seed/demo.js';
import { startServer, type PiperServer } from '../server.js';

/**
 * A real Piper server for a test file: its own database on the run's PostgreSQL cluster
 * (started by scripts/test.mjs), or on an embedded cluster of its own when run alone.
 */
let adminUrl: Promise<string> | undefined;

async function clusterUrl(): Promise<string> {
  if (process.env.PIPER_TEST_DATABASE_URL) return process.env.PIPER_TEST_DATABASE_URL;
  adminUrl ??= (async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'piper-test-pg-'));
    fs.chmodSync(dir, 0o755); // the cluster runs as the postgres user when we are root
    const port = 40000 + Math.floor(Math.random() * 20000);
    const embedded = await startEmbeddedPostgres(path.join(dir, 'data'), port, pino({ level: 'silent' }), 'postgres');
    process.once('exit', () => fs.rmSync(dir, { recursive: true, force: true }));
    after(embedded.stop);
    return embedded.url;
  })();
  return adminUrl;
}

/** Hooks of node:test, looked up lazily so this module also loads outside the test runner. */
function after(fn: () => Promise<void>) {
  void import('node:test').then(({ after: register }) => register(fn));
}

export async function createTestDatabase(): Promise<string> {
  const url = new URL(await clusterUrl());
  const name = `piper_test_${randomBytes(6).toString('hex')}`;
  const client = new pg.Client({ connectionString: url.toString() });
  await client.connect();
  await client.query(`create database ${name}`);
  await client.end();
  url.pathname = `/${name}`;
  return url.toString();
}

export interface TestServer extends PiperServer {
  config: Config;
  request(method: string, path: string, options?: { token?: string | null; body?: unknown; rawBody?: string; headers?: Record<string, string> }): Promise<TestResponse>;
  login(email: string, password?: string): Promise<string>;
}

export interface TestResponse {
  status: number;
  headers: Headers;
  body: any;
}

/** `logs`: where the server's log lines go (at `config.logLevel`), for tests that read them. */
export async function startTestServer(overrides: Partial<Config> = {}, options: { logs?: pino.DestinationStream } = {}): Promise<TestServer> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'piper-test-data-'));
  const config: Config = {
    ...loadConfig({ NODE_ENV: 'test' }),
    port: 0,
    host: '127.0.0.1',
    dataDir,
    databaseUrl: await createTestDatabase(),
    logLevel: process.env.LOG_LEVEL ?? 'silent',
    masterKey: randomBytes(32).toString('base64'),
    ...overrides,
  };
  const server = await startServer(config, options.logs ? pino({ level: config.logLevel }, options.logs) : pino({ level: config.logLevel }));
  const request: TestServer['request'] = async (method, url, options = {}) => {
    const headers: Record<string, string> = { ...options.headers };
    if (options.token) headers.authorization = `Bearer ${options.token}`;
    let body: string | undefined = options.rawBody;
    if (options.body !== undefined) {
      body = JSON.stringify(options.body);
      headers['content-type'] ??= 'application/json';
    }
    const response = await fetch(server.url + url, { method, headers, body });
    const text = await response.text();
    let parsed: unknown = text;
    if ((response.headers.get('content-type') ?? '').includes('json') && text) parsed = JSON.parse(text);
    return { status: response.status, headers: response.headers, body: parsed };
  };
  return {
    ...server,
    config,
    request,
    async login(email, password = DEMO_PASSWORD) {
      const response = await request('POST', '/api/auth/login', { body: { email, password } });
      if (response.status !== 200) throw new Error(`login of ${email} answered ${response.status}: ${JSON.stringify(response.body)}`);
      return response.body.token as string;
    },
    async close() {
      await server.close();
      fs.rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
