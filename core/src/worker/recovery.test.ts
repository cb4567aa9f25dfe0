/** Durable execution: a worker killed with SIGKILL mid-run, another one resumes the run. */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { startTestServer, type TestServer } from '../testing/harness.js';
import { edge, node, nodeOf, PipelineDriver } from '../testing/pipelines.js';

const workerScript = path.join(path.dirname(fileURLToPath(import.meta.url)), '../cli/worker.ts');
let server: TestServer;
let driver: PipelineDriver;
const workers: ChildProcess[] = [];

function startWorker(): ChildProcess {
  const child = spawn(process.execPath, ['--no-node-snapshot', '--import', 'tsx', workerScript], {
    env: {
      ...process.env,
      DATABASE_URL: server.config.databaseUrl,
      PIPER_DATA_DIR: server.config.dataDir,
      PIPER_MASTER_KEY: server.config.masterKey,
      PIPER_SEED: 'none',
      PIPER_HEARTBEAT_MS: '250',
      PIPER_STALE_AFTER_MS: '1500',
      LOG_LEVEL: 'warn',
    },
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  workers.push(child);
  return child;
}

before(async () => {
  // The API alone: runs execute only in the worker processes this test starts and kills.
  server = await startTestServer({ role: 'api' });
  driver = new PipelineDriver(server, await server.login('admin@acme.test'));
});
after(async () => {
  for (const worker of workers) worker.kill('SIGKILL');
  await server.close();
});

describe('crash recovery', () => {
  it('resumes a run within seconds after its worker is SIGKILLed, without running a succeeded node again', async () => {
    const pipelineId = await driver.create({
      nodes: [node('first', 'core.transform', { code: 'return Math.random()' }), node('slow', 'core.delay', { ms: 2500 }), node('last', 'core.transform', { code: 'return { from: input }' })],
      edges: [edge('first', 'slow'), edge('slow', 'last')],
    });
    const doomed = startWorker();
    const runId = await driver.start(pipelineId);
    const midway = await driver.waitFor(runId, (run) => nodeOf(run, 'first').status === 'succeeded' && nodeOf(run, 'slow').status === 'running', 30_000);
    const firstOutput = nodeOf(midway, 'first').output;

    doomed.kill('SIGKILL');
    const killedAt = Date.now();
    startWorker();
    const run = await driver.waitFor(runId, undefined, 30_000);
    assert.equal(run.status, 'succeeded', JSON.stringify(run.error));
    assert.ok(Date.now() - killedAt < 15_000, `resumed and finished ${Date.now() - killedAt} ms after the kill`);
    assert.deepEqual(run.output, { from: firstOutput });
    const first = nodeOf(run, 'first');
    assert.equal(first.attempts.length, 1, 'the succeeded node did not run again');
    assert.equal(first.output, firstOutput);
    const slow = nodeOf(run, 'slow');
    assert.deepEqual(slow.attempts.map((a) => a.status), ['failed', 'succeeded'], 'the interrupted attempt is recorded as lost');
  });

  it('leaves no run running forever: a run held by a vanished worker is resumed by the reaper', async () => {
    for (const worker of workers) worker.kill('SIGKILL');
    const pipelineId = await driver.create({ nodes: [node('only', 'core.set', { value: 'done' })], edges: [] });
    const runId = await driver.start(pipelineId);
    // As if a worker had claimed the run, lost its job and died an hour ago.
    await server.services.db.raw('select graphile_worker.remove_job(?)', [`run:${runId}`]);
    await server.services.db('runs').where({ id: runId }).update({ status: 'running', workerId: 'vanished', heartbeatAt: new Date(Date.now() - 3600_000), lease: 7 });
    startWorker();
    const run = await driver.waitFor(runId, undefined, 30_000);
    assert.equal(run.status, 'succeeded');
    assert.equal(run.output, 'done');
  });
});
