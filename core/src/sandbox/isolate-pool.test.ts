import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { IsolatePool, SandboxError, type SandboxErrorCode } from './isolate-pool.js';

const here = path.dirname(fileURLToPath(import.meta.url));

/** Asserts that `promise` rejects with a SandboxError of one of `codes`; returns it. */
async function rejectsWith(promise: Promise<unknown>, ...codes: SandboxErrorCode[]): Promise<SandboxError> {
  try {
    const value = await promise;
    assert.fail(`expected a SandboxError (${codes.join('/')}), got the value ${JSON.stringify(value)}`);
  } catch (error) {
    assert.ok(error instanceof SandboxError, `expected a SandboxError, got ${String(error)}`);
    assert.ok(codes.includes(error.code), `expected code ${codes.join('/')}, got ${error.code}: ${error.message}`);
    return error;
  }
}

/** Host-only strings that must never show up in what comes back from the sandbox. */
function assertNoHostTrace(text: string): void {
  for (const marker of ['node:', 'file://', '/work/', '.ts:', 'isolated-vm', 'internal/']) {
    assert.ok(!text.includes(marker), `"${marker}" leaked: ${text}`);
  }
}

describe('IsolatePool', () => {
  let pool: IsolatePool;
  before(() => {
    pool = new IsolatePool();
  });
  after(() => {
    pool.dispose();
  });

  describe('results', () => {
    it('returns values of every JSON type', async () => {
      assert.equal(await pool.run('return "text"', {}), 'text');
      assert.equal(await pool.run('return 1.5', {}), 1.5);
      assert.equal(await pool.run('return -0 + 7', {}), 7);
      assert.equal(await pool.run('return true', {}), true);
      assert.equal(await pool.run('return null', {}), null);
      assert.deepEqual(await pool.run('return [1, "a", null, false, [2], { b: 3 }]', {}), [1, 'a', null, false, [2], { b: 3 }]);
      assert.deepEqual(await pool.run('return { a: { b: [1, { c: "d" }] }, e: null }', {}), { a: { b: [1, { c: 'd' }] }, e: null });
    });

    it('turns undefined into null, as a result and as an expression value', async () => {
      assert.equal(await pool.run('', {}), null);
      assert.equal(await pool.run('return undefined', {}), null);
      assert.deepEqual(await pool.evaluate(['undefined', 'missing?.x', '1'], { missing: null }), [null, null, 1]);
    });

    it('evaluates expressions in order against one scope', async () => {
      assert.deepEqual(await pool.evaluate(['a + 1', 'n > 3', '$nodes.x.y', '`hi ${name}`', '{ k: n }'], { a: 1, n: 5, $nodes: { x: { y: [1, 2] } }, name: 'Ann' }), [
        2,
        true,
        [1, 2],
        'hi Ann',
        { k: 5 },
      ]);
      assert.deepEqual(await pool.evaluate([], {}), []);
      // one context for all expressions: a side effect of one is seen by the next
      assert.deepEqual(await pool.evaluate(['(globalThis.counter = 1)', 'counter + 1'], {}), [1, 2]);
    });
  });

  describe('scope', () => {
    it('makes every key a bare variable, including $input and $nodes', async () => {
      const scope = { n: 2, input: { name: 'x' }, $input: { n: 2 }, $nodes: { first: { out: [3] } }, $run: { id: 'r1' } };
      assert.deepEqual(await pool.run('return [n * 2, input.name, $input.n, $nodes.first.out[0], $run.id]', scope), [4, 'x', 2, 3, 'r1']);
    });

    it('lets keys that are not identifiers through without breaking the others', async () => {
      assert.deepEqual(await pool.run('return ok + 1', { 'not-an-identifier': 1, 'with space': 2, ok: 1 }), 2);
    });

    it('lets scope keys shadow globals, and does not expose Object.prototype as variables', async () => {
      assert.equal(await pool.run('return Math', { Math: 'shadowed' }), 'shadowed');
      // the scope object has no prototype: `hasOwnProperty` is not found through it
      await rejectsWith(pool.run('return hasOwnProperty("a")', { a: 1 }), 'script');
    });

    it('passes the scope by value: changes in the sandbox do not reach the caller', async () => {
      const scope = { list: [1], obj: { a: 1 } };
      await pool.run('list.push(2); obj.a = 9; return null', scope);
      assert.deepEqual(scope, { list: [1], obj: { a: 1 } });
    });

    it('does not leave the input global to user code', async () => {
      assert.equal(await pool.run('return typeof __piper_in + typeof globalThis.__piper_in', { a: 1 }), 'undefinedundefined');
    });
  });

  describe('execution', () => {
    it('supports await in a function body', async () => {
      assert.equal(await pool.run('const x = await Promise.resolve(20); await null; return x + n', { n: 1 }), 21);
      assert.deepEqual(await pool.run('const r = await Promise.all([1, Promise.resolve(2)]); return r', {}), [1, 2]);
    });

    it('gives every call a fresh context', async () => {
      const single = new IsolatePool({ isolatesPerLimit: 1 });
      try {
        await single.run('globalThis.leak = 1; leaked = 2; Object.prototype.polluted = 3; Array.prototype.push = null; return 1', {});
        assert.deepEqual(await single.run('return [typeof leak, typeof leaked, typeof ({}).polluted, typeof [].push]', {}), ['undefined', 'undefined', 'undefined', 'function']);
        await single.evaluate(['(globalThis.leak = 1)'], {});
        assert.deepEqual(await single.evaluate(['typeof leak'], {}), ['undefined']);
        // with pauses between calls, contexts made in advance are used: they are fresh too
        for (let i = 0; i < 3; i++) {
          await new Promise((resolve) => setTimeout(resolve, 5));
          assert.equal(await single.run('const seen = typeof leak; globalThis.leak = 1; return seen', {}), 'undefined');
        }
        assert.equal(single.stats().isolates, 1);
      } finally {
        single.dispose();
      }
    });

    it('allows eval and new Function of plain JavaScript inside the isolate', async () => {
      assert.deepEqual(await pool.run('return [eval("1 + 1"), new Function("a", "return a * 3")(2)]', {}), [2, 6]);
    });

    it('counts evaluations and isolates', async () => {
      const fresh = new IsolatePool();
      try {
        assert.deepEqual(fresh.stats(), { isolates: 0, evaluations: 0, recycled: 0, catastrophicErrors: 0 });
        await fresh.run('return 1', {});
        await fresh.evaluate(['1', '2'], {});
        assert.equal(fresh.stats().evaluations, 2);
        assert.ok(fresh.stats().isolates >= 1);
        await Promise.all([fresh.run('return 1', {}), fresh.run('return 2', {}), fresh.run('return 3', {})]);
        assert.equal(fresh.stats().isolates, 2, 'at most isolatesPerLimit isolates');
        assert.equal(fresh.stats().evaluations, 5);
        await fresh.run('return 1', {}, { limits: { memoryMb: 32 } });
        assert.equal(fresh.stats().isolates, 3, 'one more isolate for another memory limit');
      } finally {
        fresh.dispose();
      }
    });
  });

  describe('errors of user code', () => {
    it('reports thrown errors as "Name: message", never with a host stack', async () => {
      const notAFunction = await rejectsWith(pool.run('const x = 1;\nreturn x()', {}), 'script');
      assert.equal(notAFunction.message, 'TypeError: x is not a function (line 2)');
      const notDefined = await rejectsWith(pool.run('return foo', {}), 'script');
      assert.equal(notDefined.message, 'ReferenceError: foo is not defined (line 1)');
      assert.equal((await rejectsWith(pool.run('throw new Error("custom")', {}), 'script')).message, 'Error: custom (line 1)');
      assert.equal((await rejectsWith(pool.run('throw "boom"', {}), 'script')).message, 'boom');
      assert.equal((await rejectsWith(pool.run('throw { a: 1 }', {}), 'script')).message, 'Uncaught {"a":1}');
      assert.equal((await rejectsWith(pool.run('await null; throw new RangeError("late")', {}), 'script')).message, 'RangeError: late (line 1)');
      // (the SandboxError's own `stack` is the host's, for logs; the message is what users see)
      for (const error of [notAFunction, notDefined]) assertNoHostTrace(error.message);
    });

    it('reports syntax errors with the line of the body', async () => {
      const error = await rejectsWith(pool.run('const a = 1;\n\nreturn a +;', {}), 'script');
      assert.equal(error.message, "SyntaxError: Unexpected token ';' (line 3)");
    });

    it('names the expression that failed', async () => {
      const thrown = await rejectsWith(pool.evaluate(['1', 'x.y', '3'], {}), 'script');
      assert.equal(thrown.expressionIndex, 1);
      assert.equal(thrown.message, 'Expression 1: ReferenceError: x is not defined');
      const syntax = await rejectsWith(pool.evaluate(['1', '2', '3 +'], {}), 'script');
      assert.equal(syntax.expressionIndex, 2);
      assert.match(syntax.message, /^Expression 2: SyntaxError: /);
    });

    it('fails deep recursion cleanly and keeps working', async () => {
      const error = await rejectsWith(pool.run('function f() { return f() } return f()', {}), 'script');
      assert.match(error.message, /^RangeError: Maximum call stack size exceeded/);
      assert.equal(await pool.run('return 1', {}), 1);
    });
  });

  describe('non-JSON results', () => {
    for (const [label, body] of [
      ['a function', 'return () => 1'],
      ['a symbol', 'return Symbol("s")'],
      ['a BigInt', 'return 10n'],
      ['a circular object', 'const a = {}; a.self = a; return a'],
      ['an object whose toJSON throws', 'return { toJSON() { throw new Error("no") } }'],
    ] as const) {
      it(`rejects ${label} with not_json`, async () => {
        const error = await rejectsWith(pool.run(body, {}), 'not_json');
        assert.match(error.message, /^Result is not JSON/);
      });
    }

    it('names the expression whose value is not JSON', async () => {
      const error = await rejectsWith(pool.evaluate(['1', '10n'], {}), 'not_json');
      assert.equal(error.expressionIndex, 1);
    });
  });

  describe('escapes', () => {
    it('has no require, process, fetch, timers or WebAssembly', async () => {
      const names = ['require', 'process', 'fetch', 'module', 'Buffer', 'setTimeout', 'setImmediate', 'queueMicrotask', 'global', 'WebAssembly', 'SharedArrayBuffer'];
      const types = await pool.evaluate(names.map((name) => `typeof ${name}`), {});
      assert.deepEqual(types, names.map(() => 'undefined'));
    });

    // Each attempt must give nothing of the host: null/undefined, or a script error.
    const attempts: [string, string][] = [
      ['constructor chain', "return this.constructor.constructor('return process')()"],
      ['sloppy this', 'return (function () { return this })().process'],
      ['Function("return this")', "return Function('return this')().process"],
      ['tagged template Function', 'return Function`return process`()'],
      ['new Function template', 'return new Function(`return typeof process === "undefined" ? undefined : process`)()'],
      ['constructor of an async function', "return (async () => {}).constructor('return process')()"],
      ['dynamic import', "return await import('node:fs')"],
    ];
    for (const [label, body] of attempts) {
      it(`gets nothing of the host through ${label}`, async () => {
        try {
          const value = await pool.run(body, {});
          assert.equal(value, null);
        } catch (error) {
          assert.ok(error instanceof SandboxError && error.code === 'script', String(error));
          assertNoHostTrace(error.message);
        }
      });
    }

    it('finds no host object walking the prototypes of the global object', async () => {
      const names = await pool.run(
        `const seen = [];
         for (let o = globalThis; o !== null; o = Object.getPrototypeOf(o)) seen.push(...Object.getOwnPropertyNames(o));
         for (const name of Object.getOwnPropertyNames(globalThis)) {
           const value = globalThis[name];
           if (value && (typeof value === 'object' || typeof value === 'function')) {
             for (let o = Object.getPrototypeOf(value); o !== null; o = Object.getPrototypeOf(o)) seen.push(...Object.getOwnPropertyNames(o));
           }
         }
         return seen.filter((name) => typeof name === 'string');`,
        {},
      );
      assert.ok(Array.isArray(names) && names.length > 50);
      for (const hostName of ['process', 'require', 'module', 'Buffer', 'fetch', 'setTimeout', 'ivm', 'Reference', 'ExternalCopy', 'Callback', '__piper_in']) {
        assert.ok(!names.includes(hostName), `${hostName} is reachable`);
      }
    });

    it('shows only isolate frames to Error.prepareStackTrace', async () => {
      const frames = await pool.run(
        `Error.prepareStackTrace = (error, callSites) => callSites;
         const callSites = new Error().stack;
         return callSites.map((c) => [String(c.getFileName()), typeof c.getThis(), String(c)]);`,
        {},
      );
      assert.ok(Array.isArray(frames) && frames.length > 0);
      const text = JSON.stringify(frames);
      assertNoHostTrace(text);
      for (const frame of frames as [string, string, string][]) assert.match(frame[0], /^(piper-script|null|undefined)$/);
    });

    it('cannot grow memory outside the limit with resizable ArrayBuffers', async () => {
      const flags = await pool.run(
        `const a = new ArrayBuffer(8, { maxByteLength: 2 ** 32 });
         const b = new (new Uint8Array(1).buffer.constructor)(8, { maxByteLength: 2 ** 32 });
         return [a.resizable, b.resizable, a instanceof ArrayBuffer, typeof ArrayBuffer.prototype.resize]`,
        {},
      );
      assert.deepEqual(flags, [false, false, true, 'undefined']);
    });

    it('keeps Intl usable but limits the objects one call may create', async () => {
      assert.equal(await pool.run('return new Intl.NumberFormat("en-US", { style: "currency", currency: "EUR" }).format(1234.5)', {}), '€1,234.50');
      assert.equal(await pool.run('return new Intl.DateTimeFormat("en", { timeZone: "UTC" }) instanceof Intl.DateTimeFormat', {}), true);
      const error = await rejectsWith(pool.run('for (let i = 0; i < 5000; i++) new Intl.DateTimeFormat("en"); return 1', {}), 'script');
      assert.match(error.message, /Too many Intl objects/);
    });
  });

  describe('limits', () => {
    it('stops an infinite loop at the timeout', async () => {
      const started = performance.now();
      const error = await rejectsWith(pool.run('while (true) {}', {}, { limits: { timeoutMs: 50 } }), 'timeout');
      const elapsed = performance.now() - started;
      assert.equal(error.message, 'Script timed out after 50 ms');
      assert.ok(elapsed >= 45 && elapsed < 2000, `took ${elapsed} ms`);
      assert.equal(await pool.run('return 1', {}), 1);
    });

    it('stops an expression that loops, and code that waits forever', async () => {
      await rejectsWith(pool.evaluate(['1', '(() => { for (;;) {} })()'], {}, { limits: { timeoutMs: 50 } }), 'timeout');
      const started = performance.now();
      await rejectsWith(pool.run('await new Promise(() => {})', {}, { limits: { timeoutMs: 50 } }), 'timeout');
      assert.ok(performance.now() - started < 2000);
      await rejectsWith(pool.run('for (;;) await null', {}, { limits: { timeoutMs: 50 } }), 'timeout');
      await rejectsWith(pool.run('Promise.resolve().then(() => { for (;;) {} }); return 1', {}, { limits: { timeoutMs: 50 } }), 'timeout');
      assert.equal(await pool.run('return 2', {}), 2);
    });

    it('fails memory bombs without crashing the host, and keeps working', async () => {
      const recycledBefore = pool.stats().recycled;
      await rejectsWith(pool.run('const a = []; while (true) a.push(new Array(1e6).fill(1))', {}), 'memory', 'script');
      assert.ok(pool.stats().recycled > recycledBefore, 'the isolate killed by the memory limit is replaced');
      await rejectsWith(pool.run("return 'x'.repeat(2 ** 30)", {}), 'memory', 'script');
      await rejectsWith(pool.run('return new ArrayBuffer(2 ** 31).byteLength', {}), 'memory', 'script');
      await rejectsWith(pool.run('let s = ["x"]; for (;;) s = s.concat(s)', {}, { limits: { memoryMb: 16, timeoutMs: 5000 } }), 'memory', 'script');
      assert.equal(await pool.run('return n + 1', { n: 1 }), 2);
      assert.deepEqual(await pool.evaluate(['n * 2'], { n: 4 }), [8]);
    });

    it('survives an allocation that runs V8 itself out of memory (child process)', { timeout: 30_000 }, async () => {
      // isolated-vm reports such a failure as "catastrophic"; the host must go on (it cannot exit
      // normally afterwards, so the child kills itself).
      const child = spawn(
        process.execPath,
        [
          '--import',
          'tsx',
          '--input-type=module',
          '-e',
          `const { IsolatePool } = await import(${JSON.stringify(path.join(here, 'isolate-pool.ts'))});
           const reports = [];
           const pool = new IsolatePool({ onCatastrophicError: (message) => reports.push(message) });
           const out = {};
           try { await pool.run('return new Array(5e7).fill(1).length', {}, { limits: { timeoutMs: 20000 } }); out.first = 'ok'; } catch (e) { out.first = e.code; }
           out.second = await pool.run('return 1 + 1', {});
           out.stats = pool.stats();
           out.reports = reports;
           process.stdout.write(JSON.stringify(out) + '\\n', () => process.kill(process.pid, 'SIGKILL'));`,
        ],
        { cwd: here, stdio: ['ignore', 'pipe', 'ignore'] },
      );
      let stdout = '';
      child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
      await new Promise((resolve) => child.on('exit', resolve));
      const out = JSON.parse(stdout) as { first: string; second: number; stats: { catastrophicErrors: number }; reports: string[] };
      assert.equal(out.first, 'memory');
      assert.equal(out.second, 2);
      // Depending on where V8 gives up, isolated-vm either disposes the isolate normally or reports a catastrophe.
      assert.equal(out.stats.catastrophicErrors, out.reports.length > 0 ? 1 : 0);
    });
  });

  describe('cancellation and concurrency', () => {
    it('rejects quickly with canceled when the signal aborts', async () => {
      const controller = new AbortController();
      const started = performance.now();
      setTimeout(() => controller.abort(), 30);
      const error = await rejectsWith(pool.run('while (true) {}', {}, { signal: controller.signal, limits: { timeoutMs: 5000 } }), 'canceled');
      assert.ok(performance.now() - started < 500, 'canceled long before the timeout');
      assert.equal(error.message, 'Script was canceled');
      assert.equal(await pool.run('return 3', {}), 3);
    });

    it('rejects at once when the signal is already aborted, and drops canceled queued calls', async () => {
      await rejectsWith(pool.run('return 1', {}, { signal: AbortSignal.abort() }), 'canceled');
      const single = new IsolatePool({ isolatesPerLimit: 1 });
      try {
        const controller = new AbortController();
        const blocker = single.run('const end = Date.now() + 100; while (Date.now() < end) {} return "done"', {});
        const queued = single.run('return "queued"', {}, { signal: controller.signal });
        controller.abort();
        await rejectsWith(queued, 'canceled');
        assert.equal(await blocker, 'done', 'aborting a queued call does not disturb the running one');
        assert.equal(single.stats().recycled, 0);
      } finally {
        single.dispose();
      }
    });

    it('runs 20 concurrent calls', async () => {
      const results = await Promise.all(Array.from({ length: 20 }, (_, i) => pool.run('await null; return i * 2', { i })));
      assert.deepEqual(results, Array.from({ length: 20 }, (_, i) => i * 2));
      const values = await Promise.all(Array.from({ length: 20 }, (_, i) => pool.evaluate(['i + 1'], { i })));
      assert.deepEqual(values, Array.from({ length: 20 }, (_, i) => [i + 1]));
    });

    it('keeps healthy calls unaffected by failing calls running in parallel', async () => {
      const failing = [
        rejectsWith(pool.run('while (true) {}', {}, { limits: { timeoutMs: 200 } }), 'timeout'),
        rejectsWith(pool.run('const a = []; while (true) a.push(new Array(1e6).fill(1))', {}), 'memory', 'script'),
        rejectsWith(pool.run('function f() { return f() } return f()', {}), 'script'),
      ];
      const healthy = Array.from({ length: 10 }, (_, i) => pool.run('await null; return { i }', { i }));
      assert.deepEqual(await Promise.all(healthy), Array.from({ length: 10 }, (_, i) => ({ i })));
      await Promise.all(failing);
    });

    it('cancels running and queued calls on dispose, and refuses new ones', async () => {
      const doomed = new IsolatePool({ isolatesPerLimit: 1 });
      const running = doomed.run('while (true) {}', {}, { limits: { timeoutMs: 5000 } });
      const queued = doomed.run('return 1', {});
      await new Promise((resolve) => setTimeout(resolve, 20));
      doomed.dispose();
      await rejectsWith(running, 'canceled');
      await rejectsWith(queued, 'canceled');
      await assert.rejects(doomed.run('return 1', {}), /disposed/);
      assert.equal(doomed.stats().isolates, 0);
    });
  });

  describe('input validation', () => {
    it('rejects bad limits and scopes', async () => {
      await assert.rejects(pool.run('return 1', {}, { limits: { memoryMb: 1 } }), RangeError);
      await assert.rejects(pool.run('return 1', {}, { limits: { timeoutMs: 0 } }), RangeError);
      await assert.rejects(pool.run('return 1', [] as never), TypeError);
      assert.throws(() => new IsolatePool({ isolatesPerLimit: 0 }), RangeError);
    });
  });
});
