/**
 * The processes a user runs: `npm start` on the embedded database (persistent, stopped cleanly
 * on SIGTERM), a refusal to start with another master key, `npm run reset` and
 * `npm run rotate-master-key`.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, describe, it } from 'node:test';

const cliDir = path.dirname(fileURLToPath(import.meta.url));
const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'piper-cli-'));
fs.chmodSync(dataDir, 0o755);
const port = 30000 + Math.floor(Math.random() * 10000);
const pgPort = port + 10000;
const env: NodeJS.ProcessEnv = { ...process.env, PIPER_DATA_DIR: dataDir, PORT: String(port), PIPER_EMBEDDED_PG_PORT: String(pgPort), LOG_LEVEL: 'info', PIPER_SEED: '' };
delete env.DATABASE_URL;
delete env.PIPER_MASTER_KEY;
after(() => fs.rmSync(dataDir, { recursive: true, force: true }));

function run(script: string, extraEnv: Record<string, string> = {}): { child: ChildProcess; output: () => string; exit: Promise<number | null> } {
  let output = '';
  const child = spawn(process.execPath, ['--no-node-snapshot', '--import', 'tsx', path.join(cliDir, script)], { env: { ...env, ...extraEnv }, stdio: ['ignore', 'pipe', 'pipe'] });
  child.stdout!.on('data', (chunk) => (output += chunk));
  child.stderr!.on('data', (chunk) => (output += chunk));
  const exit = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return { child, output: () => output, exit };
}

async function waitHealthy(process: ReturnType<typeof run>): Promise<void> {
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    if (process.child.exitCode !== null) throw new Error(`server exited: ${process.output()}`);
    try {
      const response = await fetch(`http://127.0.0.1:${port}/health`);
      if (response.status === 200) return;
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`server did not become healthy: ${process.output()}`);
}

async function api(method: string, url: string, token?: string, body?: unknown) {
  const response = await fetch(`http://127.0.0.1:${port}${url}`, {
    method,
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const parsed: any = response.status === 204 ? undefined : await response.json();
  return { status: response.status, body: parsed };
}

const login = async (email: string) => (await api('POST', '/api/auth/login', undefined, { email, password: 'piper-demo-1' })).body.token as string;

async function stop(process: ReturnType<typeof run>) {
  process.child.kill('SIGTERM');
  assert.equal(await process.exit, 0, process.output());
}

describe('npm start on the embedded database', () => {
  it('seeds on first start, keeps data across a restart, and stops PostgreSQL on SIGTERM', async () => {
    const first = run('start.ts');
    await waitHealthy(first);
    const admin = await login('admin@acme.test');
    const created = await api('POST', '/api/groups', admin, { name: 'survives-restart' });
    assert.equal(created.status, 201);
    await stop(first);
    assert.ok(!fs.existsSync(path.join(dataDir, 'postgres', 'postmaster.pid')), 'PostgreSQL stopped with the server');
    assert.ok(fs.existsSync(path.join(dataDir, 'master.key')), 'the master key is kept in the data directory');

    const second = run('start.ts');
    await waitHealthy(second);
    const again = await login('admin@acme.test');
    const groups = await api('GET', '/api/groups', again);
    assert.ok(groups.body.some((group: { name: string }) => group.name === 'survives-restart'));
    assert.equal(groups.body.filter((group: { name: string }) => group.name === 'default').length, 1, 'not seeded twice');

    // `npm run reset` beside the running server: data purged, demo seeded again, every session ended.
    const reset = run('reset.ts');
    assert.equal(await reset.exit, 0, reset.output());
    assert.equal((await api('GET', '/api/auth/me', again)).status, 401);
    const fresh = await login('admin@acme.test');
    const afterReset = await api('GET', '/api/groups', fresh);
    assert.deepEqual(afterReset.body.map((group: { name: string }) => group.name), ['default']);
    await stop(second);
  });

  it('refuses to start with a master key other than the one the database was set up with', async () => {
    const wrong = run('start.ts', { PIPER_MASTER_KEY: randomBytes(32).toString('base64') });
    assert.equal(await wrong.exit, 1);
    assert.match(wrong.output(), /master key does not match/);
    assert.ok(!fs.existsSync(path.join(dataDir, 'postgres', 'postmaster.pid')), 'PostgreSQL stopped after the refusal');
  });

  it('refuses a malformed master key with a clear message', async () => {
    const malformed = run('start.ts', { PIPER_MASTER_KEY: 'too-short' });
    assert.equal(await malformed.exit, 1);
    assert.match(malformed.output(), /PIPER_MASTER_KEY must be 32 bytes/);
  });

  it('rotates the master key: the key file is replaced, credentials still decrypt, the old key is refused', async () => {
    const keyFile = path.join(dataDir, 'master.key');
    const server = run('start.ts');
    let created: Awaited<ReturnType<typeof api>>;
    try {
      await waitHealthy(server);
      const token = await login('admin@acme.test');
      created = await api('POST', '/api/credentials', token, { name: `rotated-${Date.now()}`, type: 'core.httpAuth', data: { kind: 'basic', username: 'ann', password: 'rotate-me' } });
      assert.equal(created.status, 201, JSON.stringify(created.body));
    } finally {
      await stop(server);
    }

    const oldKey = fs.readFileSync(keyFile, 'utf8').trim();
    const rotate = run('rotate-master-key.ts');
    assert.equal(await rotate.exit, 0, rotate.output());
    const newKey = fs.readFileSync(keyFile, 'utf8').trim();
    assert.notEqual(newKey, oldKey);
    assert.ok(!fs.existsSync(`${keyFile}.next`));

    const restarted = run('start.ts');
    try {
      await waitHealthy(restarted);
      const read = await api('GET', `/api/credentials/${created.body.id}`, await login('admin@acme.test'));
      assert.deepEqual(read.body.data, { kind: 'basic', username: 'ann', password: '********' });
    } finally {
      await stop(restarted);
    }

    const stale = run('start.ts', { PIPER_MASTER_KEY: oldKey });
    assert.equal(await stale.exit, 1);
    assert.match(stale.output(), /master key does not match/);
  });
});
