import ivm from 'isolated-vm';
import { PRELUDE_SOURCE } from './source.js';
const iso = new ivm.Isolate({ memoryLimit: 64 });
const prelude = iso.compileScriptSync(PRELUDE_SOURCE);
const noop = iso.compileScriptSync('1');
function pct(a: number[]) { a.sort((x, y) => x - y); return `p50=${a[a.length >> 1]!.toFixed(3)} p95=${a[Math.floor(a.length * .95)]!.toFixed(3)}`; }
async function m(name: string, fn: () => unknown) { for (let i = 0; i < 200; i++) await fn(); const ts: number[] = []; for (let i = 0; i < 2000; i++) { const t = performance.now(); await fn(); ts.push(performance.now() - t); } console.log(name.padEnd(40), pct(ts)); }
await m('ctxSync', () => { const c = iso.createContextSync(); c.release(); });
await m('ctxSync + noop runSync', () => { const c = iso.createContextSync(); noop.runSync(c); c.release(); });
await m('ctxSync + prelude runSync', () => { const c = iso.createContextSync(); prelude.runSync(c); c.release(); });
await m('ctx async + prelude async', async () => { const c = await iso.createContext(); await prelude.run(c); c.release(); });
await m('noop run async (same ctx)', (() => { const c = iso.createContextSync(); return () => noop.run(c); })());
await m('noop run async promise', (() => { const c = iso.createContextSync(); return () => noop.run(c, { promise: true, timeout: 1000 }); })());
await m('noop run async timeout', (() => { const c = iso.createContextSync(); return () => noop.run(c, { timeout: 1000 }); })());
await m('noop runSync timeout', (() => { const c = iso.createContextSync(); return () => noop.runSync(c, { timeout: 1000 }); })());
