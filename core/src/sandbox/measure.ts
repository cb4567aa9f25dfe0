// Latency of the isolate pool on a warm pool.
// Usage: node --import tsx core/src/sandbox/measure.ts [count]
import { IsolatePool } from './isolate-pool.js';

const count = Number(process.argv[2] ?? 2000);

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))] ?? NaN;
}

const pause = () => new Promise((resolve) => setTimeout(resolve, 1));

/** Latency of one call after another; with `gaps`, the caller does 1 ms of other work between calls. */
async function measure(label: string, call: () => Promise<unknown>, gaps = false): Promise<void> {
  for (let i = 0; i < 200; i++) await call(); // warm up: isolates, script cache
  const times: number[] = [];
  for (let i = 0; i < count; i++) {
    if (gaps) await pause();
    const started = performance.now();
    await call();
    times.push(performance.now() - started);
  }
  times.sort((a, b) => a - b);
  const format = (ms: number) => `${ms.toFixed(3)} ms`;
  console.log(`${label.padEnd(44)} n=${count}  p50 ${format(percentile(times, 0.5))}  p95 ${format(percentile(times, 0.95))}  p99 ${format(percentile(times, 0.99))}`);
}

async function throughput(label: string, call: (i: number) => Promise<unknown>, concurrency: number): Promise<void> {
  const started = performance.now();
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < count) await call(next++);
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  console.log(`${label.padEnd(44)} ${Math.round(count / seconds)} calls/s`);
}

const pool = new IsolatePool();
try {
  await measure('run("return 1") sequential', () => pool.run('return 1', {}));
  await measure("evaluate(['a + 1']) sequential", () => pool.evaluate(['a + 1'], { a: 1 }));
  await measure("evaluate(['a + 1']) with a 2 KB $input", () => pool.evaluate(['a + 1'], { a: 1, $input: { items: Array.from({ length: 50 }, (_, i) => ({ id: i, name: `item ${i}` })) } }));
  await measure('run("return 1"), 1 ms between calls', () => pool.run('return 1', {}), true);
  await measure("evaluate(['a + 1']), 1 ms between calls", () => pool.evaluate(['a + 1'], { a: 1 }), true);
  await throughput('run("return 1"), 8 concurrent callers', () => pool.run('return 1', {}), 8);
  console.log(pool.stats());
} finally {
  pool.dispose();
}
