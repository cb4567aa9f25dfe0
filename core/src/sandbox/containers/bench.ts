/**
 * Cold vs warm start overhead of ContainerRunner.
 *
 *   node --no-node-snapshot --import tsx core/src/sandbox/containers/bench.ts [runs=30]
 *
 * For each language and mode it reports p50/p95 of
 *   - first: time from run() to the script's first line of output (its first instruction prints),
 *   - total: time from run() to the result of a script that prints a line and returns 1
 *     (container removal included, since run() awaits it).
 * Cold = warm pool disabled (create + attach + start per call); warm = pool of 1, prewarmed, with
 * a pause between calls so the replacement is ready (sequential calls, the common case).
 */
import { ContainerRunner, type ScriptRequest } from './runner.js';

const runs = Number(process.argv[2] ?? 30);
const limits = { timeoutMs: 30_000, memoryMb: 256, cpus: 1, pids: 64 };
const codes: Record<ScriptRequest['language'], string> = {
  python: 'print("go", flush=True)\ndef main(i, a):\n    return 1\n',
  javascript: 'console.log("go");\nexport default async () => 1;\n',
  bash: 'echo go\necho 1\n',
};

function pct(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)] ?? NaN;
}

async function measure(runner: ContainerRunner, language: ScriptRequest["language"], pauseMs: number, n = runs) {
  const first: number[] = [];
  const total: number[] = [];
  for (let i = 0; i < n; i++) {
    const t0 = performance.now();
    let t1 = NaN;
    const res = await runner.run({
      language,
      code: codes[language],
      input: null,
      args: null,
      trust: 'restricted',
      limits,
      onLog: () => {
        if (Number.isNaN(t1)) t1 = performance.now();
      },
    });
    total.push(performance.now() - t0);
    first.push(t1 - t0);
    if (res.output !== 1) throw new Error(`unexpected output ${JSON.stringify(res.output)}`);
    if (pauseMs) await new Promise((r) => setTimeout(r, pauseMs));
  }
  return { first, total };
}

const fmt = (xs: number[]) => `p50 ${pct(xs, 50).toFixed(0).padStart(4)} ms  p95 ${pct(xs, 95).toFixed(0).padStart(4)} ms`;
const labels = { 'piper.bench': '1' };
const cold = new ContainerRunner({ labels, warm: 0 });
const warm = new ContainerRunner({ labels, warm: 1 });
try {
  await warm.prewarm({ trust: 'restricted', limits });
  await warm.prewarm({ trust: 'restricted', limits, language: 'javascript' });
  for (const language of ['python', 'javascript', 'bash'] as const) {
    await measure(cold, language, 0, 3); // discard: page cache
    const c = await measure(cold, language, 0);
    const w = await measure(warm, language, 600);
    console.log(`${language.padEnd(10)} cold first ${fmt(c.first)} | total ${fmt(c.total)}`);
    console.log(`${''.padEnd(10)} warm first ${fmt(w.first)} | total ${fmt(w.total)}`);
  }
} finally {
  await warm.close();
  await cold.close();
}
