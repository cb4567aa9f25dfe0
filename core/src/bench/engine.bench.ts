/**
 * `npm run bench`: starts Piper on the embedded PostgreSQL (a fresh data directory) and prints
 * JSON figures of the engine: orchestration overhead per light node, end-to-end latency of a
 * 10-node run, sustained runs per second, peak memory.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { loadConfig } from '../config/config.js';
import { ContainerRunner } from '../sandbox/containers/runner.js';
import type { BusEvent } from '../runs/events.js';
import { DEMO_PASSWORD } from '../seed/demo.js';
import { createLogger, startServer } from '../server.js';

const LATENCY_RUNS = Number(process.env.BENCH_LATENCY_RUNS ?? 200);
const THROUGHPUT_SECONDS = Number(process.env.BENCH_SECONDS ?? 30);
const IN_FLIGHT = Number(process.env.BENCH_IN_FLIGHT ?? 64);

const percentile = (values: number[], p: number) => {
  const sorted = [...values].sort((a, b) => a - b);
  return Math.round(sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]! * 100) / 100;
};

async function scriptStartFigures() {
  const limits = { timeoutMs: 30_000, memoryMb: 256, cpus: 1, pids: 64 };
  const measure = async (runner: ContainerRunner, pauseMs: number, count: number) => {
    const firstLine: number[] = [];
    for (let i = 0; i < count; i++) {
      const started = performance.now();
      let first = NaN;
      await runner.run({
        language: 'python',
        code: 'print("go", flush=True)\ndef main(i, a):\n    return 1\n',
        input: null,
        args: null,
        trust: 'restricted',
        limits,
        onLog: () => {
          if (Number.isNaN(first)) first = performance.now() - started;
        },
      });
      firstLine.push(first);
      if (pauseMs) await new Promise((resolve) => setTimeout(resolve, pauseMs));
    }
    return { p50: percentile(firstLine, 50), p95: percentile(firstLine, 95) };
  };
  const labels = { 'piper.bench': '1' };
  const cold = new ContainerRunner({ labels, warm: 0 });
  const warm = new ContainerRunner({ labels, warm: 1 });
  try {
    await cold.docker.ping();
    await warm.prewarm({ trust: 'restricted', limits });
    await measure(cold, 0, 3);
    return { cold: await measure(cold, 0, 20), warm: await measure(warm, 600, 20), note: 'python, run() to the first line the script prints' };
  } catch (error) {
    return { unavailable: `no Docker engine: ${(error as Error).message}` };
  } finally {
    await warm.close();
    await cold.close();
  }
}

async function main() {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'piper-bench-'));
  fs.chmodSync(dataDir, 0o755);
  const config = { ...loadConfig(), dataDir, port: 0, host: '127.0.0.1', logLevel: 'warn', embeddedPgPort: 20000 + Math.floor(Math.random() * 20000), databaseUrl: undefined, seed: 'demo' as const };
  const server = await startServer(config, createLogger(config));
  let peakRss = process.memoryUsage().rss;
  const sampler = setInterval(() => (peakRss = Math.max(peakRss, process.memoryUsage().rss)), 100);

  // Handler time of core.transform, measured around the handler itself, to separate it from orchestration.
  const transform = server.services.registry.get('core.transform', '1.0.0')!.definition;
  const handler = transform.handler;
  const handlerTime = new Map<string, number>();
  transform.handler = async (input, args, ctx, credentials) => {
    const started = performance.now();
    try {
      return await handler(input, args, ctx, credentials);
    } finally {
      handlerTime.set(ctx.runId, (handlerTime.get(ctx.runId) ?? 0) + performance.now() - started);
    }
  };

  const api = async (method: string, url: string, token: string | null, body?: unknown) => {
    const response = await fetch(server.url + url, {
      method,
      headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    if (response.status >= 300) throw new Error(`${method} ${url}: ${response.status} ${await response.text()}`);
    return response.json() as Promise<any>;
  };
  const { token } = await api('POST', '/api/auth/login', null, { email: 'admin@acme.test', password: DEMO_PASSWORD });
  const groups = await api('GET', '/api/groups', token);
  const chain = (count: number) => ({
    nodes: Array.from({ length: count }, (_, i) => ({ id: `n${i}`, type: 'core.transform', data: { args: { code: 'return input + 1' } } })),
    edges: Array.from({ length: count - 1 }, (_, i) => ({ id: `e${i}`, source: `n${i}`, target: `n${i + 1}` })),
  });
  const tenNodes = await api('POST', '/api/pipelines', token, { name: 'bench-10', groupId: groups[0].id, graph: chain(10) });
  const oneNode = await api('POST', '/api/pipelines', token, { name: 'bench-1', groupId: groups[0].id, graph: chain(1) });

  const finished = new Map<string, (event: BusEvent) => void>();
  const early = new Map<string, BusEvent>();
  server.services.events.subscribeAll((event) => {
    if (event.type !== 'run' || !['succeeded', 'failed', 'canceled'].includes(event.status)) return;
    const waiter = finished.get(event.runId);
    if (waiter) waiter(event);
    else early.set(event.runId, event);
  });
  const runOnce = async (pipelineId: string) => {
    const started = performance.now();
    const { id } = await api('POST', `/api/pipelines/${pipelineId}/runs`, token, { mode: 'test', input: 0 });
    const event = early.get(id) ?? (await new Promise<BusEvent>((resolve) => finished.set(id, resolve)));
    early.delete(id);
    finished.delete(id);
    if (event.type === 'run' && event.status !== 'succeeded') throw new Error(`run ${id} ${event.status}`);
    return { id, ms: performance.now() - started };
  };

  // Warm up isolates, connections and the JIT.
  for (let i = 0; i < 30; i++) await runOnce(tenNodes.id);

  const latencies: number[] = [];
  const overheads: number[] = [];
  for (let i = 0; i < LATENCY_RUNS; i++) {
    const { id, ms } = await runOnce(tenNodes.id);
    latencies.push(ms);
    const run = await server.services.db('runs').where({ id }).first('startedAt', 'finishedAt');
    const executing = run.finishedAt.getTime() - run.startedAt.getTime();
    overheads.push(Math.max(0, executing - (handlerTime.get(id) ?? 0)) / 10);
    handlerTime.delete(id);
  }

  const throughput = async (pipelineId: string) => {
    let completed = 0;
    const deadline = performance.now() + THROUGHPUT_SECONDS * 1000;
    const lane = async () => {
      while (performance.now() < deadline) {
        await runOnce(pipelineId);
        completed++;
      }
    };
    const started = performance.now();
    await Promise.all(Array.from({ length: IN_FLIGHT }, lane));
    handlerTime.clear();
    return Math.round((completed / ((performance.now() - started) / 1000)) * 10) / 10;
  };
  const runsPerSecond10 = await throughput(tenNodes.id);
  const runsPerSecond1 = await throughput(oneNode.id);

  // Webhooks: from POST /hooks/... to the 202, which comes after the run is committed.
  const hookPath = 'bench-hook';
  const hook = await api('POST', '/api/pipelines', token, { name: 'bench-hook', groupId: groups[0].id, graph: { nodes: [{ id: 'hook', type: 'core.webhook', data: { args: { path: hookPath } } }], edges: [] } });
  await api('POST', `/api/pipelines/${hook.id}/versions`, token);
  const webhookMs: number[] = [];
  for (let i = 0; i < 300; i++) {
    const started = performance.now();
    const response = await fetch(`${server.url}/hooks/acme/${hookPath}`, { method: 'POST', headers: { 'content-type': 'application/json', 'webhook-id': `bench-${i}` }, body: '{"n":1}' });
    if (response.status !== 202) throw new Error(`webhook answered ${response.status}`);
    await response.arrayBuffer();
    if (i >= 50) webhookMs.push(performance.now() - started);
  }

  // Isolates: one {{ }} expression on the warm pool, each in a fresh context.
  const isolateMs: number[] = [];
  for (let i = 0; i < 2200; i++) {
    const started = performance.now();
    await server.isolates.evaluate(['a + 1'], { a: i });
    if (i >= 200) isolateMs.push(performance.now() - started);
  }

  // Script nodes: from run() to the script's first line, with a fresh container (cold) or one from the warm pool.
  const scripts = await scriptStartFigures();

  clearInterval(sampler);
  const figures = {
    machine: { cpus: os.availableParallelism(), node: process.version },
    nodeOverheadMs: { p50: percentile(overheads, 50), p95: percentile(overheads, 95), note: 'per light node: (run execution time - handler time) / 10, 10-node core.transform chain' },
    tenNodeRunLatencyMs: { p50: percentile(latencies, 50), p95: percentile(latencies, 95), note: 'POST /runs to the succeeded event' },
    runsPerSecond: { tenNodeRuns: runsPerSecond10, oneNodeRuns: runsPerSecond1, seconds: THROUGHPUT_SECONDS, inFlight: IN_FLIGHT },
    webhookAckMs: { p50: percentile(webhookMs, 50), p95: percentile(webhookMs, 95), note: 'POST /hooks/... to its 202, the run and the delivery committed first' },
    isolateEvaluationMs: { p50: percentile(isolateMs, 50), p95: percentile(isolateMs, 95), note: "evaluate(['a + 1']) in a fresh context of a warm isolate" },
    scriptStartMs: scripts,
    peakRssMb: Math.round(peakRss / 1024 / 1024),
    samples: LATENCY_RUNS,
  };
  console.log(JSON.stringify(figures, null, 2));
  await server.close();
  fs.rmSync(dataDir, { recursive: true, force: true });
}

await main();
