/** Schedules through real servers: each tick once across instances, next fire times, no burst after downtime. */
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, it } from 'node:test';
import { startTestServer, type TestServer } from '../testing/harness.js';
import { edge, node, PipelineDriver } from '../testing/pipelines.js';

let first: TestServer;
let second: TestServer;
let admin: string;
let driver: PipelineDriver;

before(async () => {
  first = await startTestServer();
  // Another instance on the same database, as a separate worker machine would be.
  second = await startTestServer({ role: 'worker', databaseUrl: first.config.databaseUrl, masterKey: first.config.masterKey });
  admin = await first.login('admin@acme.test');
  driver = new PipelineDriver(first, admin);
});
after(async () => {
  await second?.close();
  await first?.close();
});

async function scheduled(cron: string, extra: Record<string, unknown> = {}) {
  const graph = { nodes: [node('tick', 'core.schedule', { cron, timezone: 'Europe/Paris', ...extra }), node('seen', 'core.transform', { code: 'return input' })], edges: [edge('tick', 'seen')] };
  const pipelineId = await driver.create(graph);
  const published = await first.request('POST', `/api/pipelines/${pipelineId}/versions`, { token: admin });
  assert.equal(published.status, 201, JSON.stringify(published.body));
  return pipelineId;
}

const scheduleRuns = (pipelineId: string) =>
  first.services.db('runs').where({ pipelineId, trigger: 'schedule' }).select('id', 'input', 'mode', 'version', 'status');

async function waitForRuns(pipelineId: string, count: number, timeoutMs = 10_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const runs = await scheduleRuns(pipelineId);
    if (runs.length >= count || Date.now() > deadline) return runs;
    await sleep(100);
  }
}

describe('schedules', () => {
  it('fires each tick of a per-second cron exactly once with two instances on one database', async () => {
    const pipelineId = await scheduled('* * * * * *');
    await sleep(4500);
    await first.request('PATCH', `/api/pipelines/${pipelineId}`, { token: admin, body: { enabled: false } });
    const runs = await scheduleRuns(pipelineId);
    const ticks = runs.map((run: { input: { firedAt: string } }) => run.input.firedAt);
    assert.ok(ticks.length >= 3, `only ${ticks.length} ticks fired`);
    assert.equal(new Set(ticks).size, ticks.length, `a tick fired twice: ${ticks.join(', ')}`);
    for (const tick of ticks) assert.equal(new Date(tick).getMilliseconds(), 0, 'ticks fall on whole seconds');
    assert.ok(runs.every((run: { mode: string; version: number }) => run.mode === 'production' && run.version === 1));

    await sleep(1500);
    assert.equal((await scheduleRuns(pipelineId)).length, runs.length, 'a disabled pipeline stops firing');
    const done = await driver.waitFor(runs[0].id);
    assert.deepEqual(done.output, { firedAt: runs[0].input.firedAt });
  });

  it('shows the next fire time, in the schedule’s time zone', async () => {
    const pipelineId = await scheduled('30 9 * * 1');
    const { schedules } = (await first.request('GET', `/api/pipelines/${pipelineId}/triggers`, { token: admin })).body;
    assert.equal(schedules.length, 1);
    const next = new Date(schedules[0].nextFireAt);
    assert.ok(next.getTime() > Date.now());
    const paris = new Intl.DateTimeFormat('en-GB', { timeZone: 'Europe/Paris', weekday: 'short', hour: '2-digit', minute: '2-digit', hour12: false }).format(next);
    assert.equal(paris, 'Mon 09:30');
  });

  it('fires one run, not a burst, for the ticks missed while no instance ran; catching up fires each of them', async () => {
    const db = first.services.db;
    const pipelineId = await scheduled('0 * * * *');
    await db('schedules').where({ pipelineId }).update({ nextFireAt: new Date(Date.now() - 5 * 3600_000 - 60_000) });
    const runs = await waitForRuns(pipelineId, 1);
    await sleep(600);
    assert.equal((await scheduleRuns(pipelineId)).length, 1, 'one run for six missed hours');
    const row = await db('schedules').where({ pipelineId }).first();
    assert.ok(row.nextFireAt.getTime() > Date.now(), 'the next fire time is in the future again');
    assert.ok(runs[0]);

    const catching = await scheduled('0 * * * *', { catchUp: true });
    const missedSince = new Date(Math.floor(Date.now() / 3600_000) * 3600_000 - 5 * 3600_000);
    await db('schedules').where({ pipelineId: catching }).update({ nextFireAt: missedSince });
    const caught = await waitForRuns(catching, 6);
    await sleep(600);
    assert.equal((await scheduleRuns(catching)).length, 6, 'each of the six missed ticks fired once');
    assert.equal(caught.length, 6);
  });

  it('refuses an invalid cron expression or time zone when validating and publishing', async () => {
    for (const args of [{ cron: 'every minute please' }, { cron: '* * * * *', timezone: 'Mars/Olympus' }, { cron: '61 * * * *' }]) {
      const pipelineId = await driver.create({ nodes: [node('tick', 'core.schedule', args)], edges: [] });
      const validation = (await first.request('POST', `/api/pipelines/${pipelineId}/validate`, { token: admin })).body;
      assert.equal(validation.valid, false, JSON.stringify(args));
      assert.match(validation.errors[0].message, /schedule/i);
      assert.equal((await first.request('POST', `/api/pipelines/${pipelineId}/versions`, { token: admin })).status, 400);
    }
  });
});
