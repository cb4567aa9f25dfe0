import ivm from 'isolated-vm';
import { PRELUDE_SOURCE, runSource } from './source.js';
const iso = new ivm.Isolate({ memoryLimit: 64 });
const prelude = iso.compileScriptSync(PRELUDE_SOURCE);
const script = iso.compileScriptSync(runSource('return 1'));
function pct(a: number[]) { a.sort((x, y) => x - y); return `p50=${a[a.length >> 1]!.toFixed(3)} p95=${a[Math.floor(a.length * .95)]!.toFixed(3)}`; }
const phases: Record<string, number[]> = {};
const mark = (k: string, t: number) => { (phases[k] ??= []).push(performance.now() - t); return performance.now(); };
async function once(record: boolean) {
  let t = performance.now(); const t0 = t;
  const c = iso.createContextSync(); if (record) t = mark('ctx', t);
  prelude.runSync(c, { timeout: 1000 }); if (record) t = mark('prelude', t);
  c.global.setSync('__piper_in', '{}'); if (record) t = mark('set', t);
  const r = await script.run(c, { timeout: 1000, promise: true }); if (record) t = mark('run', t);
  c.release(); if (record) { t = mark('release', t); mark('total', t0); }
  if (r !== 'R1') throw new Error(String(r));
}
for (let i = 0; i < 300; i++) await once(false);
for (let i = 0; i < 2000; i++) await once(true);
for (const [k, v] of Object.entries(phases)) console.log(k.padEnd(10), pct(v));
