// Runs untrusted user JavaScript (`core.transform` bodies, `{{ }}` expressions, conditions) in
// isolated-vm isolates with memory and time limits. See ARCHITECTURE.md, "Where code runs".
//
// Design:
// - Isolates are pooled per distinct `memoryMb` (created lazily, at most `isolatesPerLimit` each).
//   An isolate runs one call at a time; calls wait in a FIFO queue per memory limit and go to a
//   free isolate. One call per isolate means that disposing an isolate (on timeout, abort or
//   out-of-memory) never takes a parallel call down with it, and a call's timeout measures its own
//   run, not time spent queued.
// - Every call gets a fresh Context (never used before), released after the call. Creating one
//   costs ~0.35 ms, most of a call, so an isolate that goes idle starts making its next context
//   on its own thread, and calls go preferably to an isolate whose next context is ready; when
//   none is, the context is made synchronously (faster than waiting for two thread round trips).
// - Errors of user code come back as "Name: message" (plus "(line N)" of the function body for
//   `run`), made inside the isolate; the host never shows a stack.
// - Only strings cross the boundary: the scope goes in as one JSON string global (read and deleted
//   by the wrapper before user code runs) and the result comes back as one string, produced by
//   JSON.stringify inside the isolate. No Reference, ExternalCopy, Callback or host function is
//   ever put into a context.
// - Flat scope: the wrapper parses the scope into a null-prototype object and runs the user code
//   inside `with (scope) { ... }` (sloppy mode), so every key that is a valid identifier (`input`,
//   `n`, `$input`, `$nodes`, ...) is a bare variable; keys that are not identifiers are not
//   reachable (there is no `$scope` object). Scope keys shadow globals of the same name.
// - Timeouts: isolated-vm's `timeout` (terminates running code, including the microtasks of
//   `await`), plus a host timer at timeout + grace that disposes the isolate, for code that is
//   waiting rather than running (e.g. `await new Promise(() => {})`) or that fails to terminate.
// - Abort: a queued call is dropped; a running one has its isolate disposed.
// - Memory: `memoryLimit` per isolate. When isolated-vm disposes an isolate for exceeding it, the
//   call fails with 'memory' and the isolate is replaced on next use (`recycled`). Some huge single
//   allocations (e.g. `new Array(5e7).fill(1)`, a Map growing past ~2M entries at 64 MB) make V8
//   itself run out of memory; isolated-vm then reports a "catastrophic" error: the host process
//   survives (the call fails with 'memory'), but isolated-vm parks that isolate's thread forever,
//   its memory is never returned and the process can no longer exit normally. The pool counts these
//   (`stats().catastrophicErrors`) and calls `onCatastrophicError`; the owner should then drain
//   work and restart the process (e.g. `process.kill(process.pid, 'SIGKILL')` after draining, as
//   `process.exit()` hangs).
// - A per-context prelude removes what could use memory outside the limit (see source.ts).
// - Compiled scripts are cached per isolate (LRU), since scripts are bound to their isolate.
//
// Node 20+: isolated-vm asks for `node --no-node-snapshot`; the pool does not use isolate
// snapshots (the case that crashes), and the tests pass without the flag, but run the worker with it.

import ivm from 'isolated-vm';
import type { Json } from '@piper/sdk';
import { SandboxError } from './errors.js';
import {
  INPUT_GLOBAL,
  PRELUDE_SOURCE,
  SCRIPT_FILENAME,
  EXPRESSION_FILENAME,
  RUN_LINE_OFFSET,
  SINGLE_EXPRESSION_LINE_OFFSET,
  decodeResult,
  evaluateSource,
  runSource,
  singleExpressionSource,
} from './source.js';

export { SandboxError } from './errors.js';
export type { SandboxErrorCode } from './errors.js';

export interface IsolateLimits {
  /** Heap limit of the isolate in MB (isolated-vm's minimum is 8). */
  memoryMb: number;
  /** Wall-clock limit of one call in ms. */
  timeoutMs: number;
}

export interface IsolatePoolOptions {
  /** Isolates kept per distinct memory limit (default 2). */
  isolatesPerLimit?: number;
  /** Defaults for calls that do not give limits (memoryMb 64, timeoutMs 1000). */
  defaultLimits?: Partial<IsolateLimits>;
  /** Compiled scripts cached per isolate (default 256). */
  scriptCacheSize?: number;
  /**
   * Called when isolated-vm reports a catastrophic error (V8 out of memory in an isolate). The
   * process keeps working but leaks that isolate and its thread; restart it when convenient.
   */
  onCatastrophicError?: (message: string) => void;
}

export interface RunOptions {
  limits?: Partial<IsolateLimits>;
  signal?: AbortSignal;
}

export interface IsolatePoolStats {
  /** Live isolates. */
  isolates: number;
  /** Calls that reached an isolate (successful or not). */
  evaluations: number;
  /** Isolates replaced after being disposed (timeout, abort, out of memory). */
  recycled: number;
  /** Catastrophic errors reported by isolated-vm (see IsolatePoolOptions.onCatastrophicError). */
  catastrophicErrors: number;
}

const DEFAULT_LIMITS: IsolateLimits = { memoryMb: 64, timeoutMs: 1000 };
const MIN_MEMORY_MB = 8;
const MAX_MESSAGE_LENGTH = 2000;

/** Time after the timeout at which the host gives up on the isolate and disposes it. */
function graceMs(timeoutMs: number): number {
  return Math.min(250, 20 + Math.floor(timeoutMs / 10));
}

type JobKind = 'run' | 'evaluate';
type JobPhase = 'queued' | 'preparing' | 'running' | 'done';

interface Job {
  kind: JobKind;
  source: string;
  /** For evaluate: the expressions, to find the one with a syntax error. */
  expressions: readonly string[] | undefined;
  input: string;
  limits: IsolateLimits;
  signal: AbortSignal | undefined;
  phase: JobPhase;
  resolve: (value: Json) => void;
  reject: (error: SandboxError) => void;
  /** Where the job runs, once dispatched. */
  slot: Slot | undefined;
  timer: NodeJS.Timeout | undefined;
  onAbort: (() => void) | undefined;
}

class Slot {
  readonly isolate: ivm.Isolate;
  busy = false;
  retired = false;
  catastrophic = false;
  current: Job | undefined;
  private readonly prelude: ivm.Script;
  private readonly scripts = new Map<string, ivm.Script>();
  private spare: Promise<ivm.Context> | undefined;
  private spareState: 'none' | 'pending' | 'ready' = 'none';

  constructor(
    readonly group: Group,
    private readonly scriptCacheSize: number,
    onCatastrophicError: (slot: Slot, message: string) => void,
  ) {
    this.isolate = new ivm.Isolate({
      memoryLimit: group.memoryMb,
      onCatastrophicError: (message) => onCatastrophicError(this, message),
    });
    this.prelude = this.isolate.compileScriptSync(PRELUDE_SOURCE, { filename: 'piper-prelude' });
  }

  /** A compiled script for `source`, from the LRU cache or compiled (rejects with the SyntaxError). */
  async script(source: string, filename: string, lineOffset: number): Promise<ivm.Script> {
    const cached = this.scripts.get(source);
    if (cached !== undefined) {
      this.scripts.delete(source);
      this.scripts.set(source, cached);
      return cached;
    }
    const script = await this.isolate.compileScript(source, { filename, lineOffset });
    if (this.retired) return script;
    this.scripts.set(source, script);
    if (this.scripts.size > this.scriptCacheSize) {
      const oldest = this.scripts.keys().next();
      if (!oldest.done) {
        this.scripts.get(oldest.value)?.release();
        this.scripts.delete(oldest.value);
      }
    }
    return script;
  }

  /**
   * A context no call has used yet, with the prelude run: the spare one prepared in the
   * background if there is one, otherwise one made now. Making it synchronously (~0.35 ms on the
   * host thread) is faster than two round trips to the isolate's thread when calls come back to
   * back; it is safe because this slot runs one job at a time, so the isolate is idle here.
   */
  takeContext(): ivm.Context | Promise<ivm.Context> {
    const spare = this.spare;
    this.spare = undefined;
    this.spareState = 'none';
    if (spare !== undefined) return spare;
    // Made on the isolate's thread: a busy pool must not block the host's event loop.
    return (async () => {
      const context = await this.isolate.createContext();
      try {
        await this.prelude.run(context, { timeout: 1000 });
      } catch (error) {
        context.release();
        throw error;
      }
      return context;
    })();
  }

  /** Whether a spare context is ready now (not still being made). */
  get spareReady(): boolean {
    return this.spareState === 'ready';
  }

  /** Whether a spare context is being made on the isolate's thread. */
  get sparePending(): boolean {
    return this.spareState === 'pending';
  }

  /** Starts making the next fresh context on the isolate's thread, off the host's critical path. */
  prepareSpare(): void {
    if (this.retired || this.spare !== undefined) return;
    const spare = this.createContext();
    this.spare = spare;
    this.spareState = 'pending';
    spare.then(
      () => {
        if (this.spare === spare) this.spareState = 'ready';
      },
      () => {
        // the isolate was disposed; a context is made synchronously when needed
        if (this.spare === spare) {
          this.spare = undefined;
          this.spareState = 'none';
        }
      },
    );
  }

  private async createContext(): Promise<ivm.Context> {
    const context = await this.isolate.createContext();
    await this.prelude.run(context, { timeout: 1000 });
    return context;
  }

  /** Disposes the isolate; the slot is never used again. */
  retire(): void {
    if (this.retired) return;
    this.retired = true;
    this.spare = undefined;
    this.scripts.clear();
    try {
      if (!this.isolate.isDisposed) this.isolate.dispose();
    } catch {
      // already disposed
    }
  }
}

interface Group {
  memoryMb: number;
  slots: Slot[];
  queue: Job[];
}

export class IsolatePool {
  private readonly isolatesPerLimit: number;
  private readonly defaultLimits: IsolateLimits;
  private readonly scriptCacheSize: number;
  private readonly onCatastrophicError: ((message: string) => void) | undefined;
  private readonly groups = new Map<number, Group>();
  private disposed = false;
  private evaluations = 0;
  private recycled = 0;
  private catastrophicErrors = 0;

  constructor(options: IsolatePoolOptions = {}) {
    const isolatesPerLimit = options.isolatesPerLimit ?? 2;
    if (!Number.isInteger(isolatesPerLimit) || isolatesPerLimit < 1) throw new RangeError('isolatesPerLimit must be a positive integer');
    this.isolatesPerLimit = isolatesPerLimit;
    this.defaultLimits = validateLimits({ ...DEFAULT_LIMITS, ...definedOnly(options.defaultLimits) });
    this.scriptCacheSize = Math.max(1, options.scriptCacheSize ?? 256);
    this.onCatastrophicError = options.onCatastrophicError;
  }

  /**
   * Runs a JavaScript function body (may use `return` and `await`) with each key of `scope` as a
   * variable. Returns the JSON result (undefined → null).
   */
  async run(functionBody: string, scope: Record<string, Json>, options: RunOptions = {}): Promise<Json> {
    if (typeof functionBody !== 'string') throw new TypeError('functionBody must be a string');
    return this.submit('run', runSource(functionBody), undefined, scope, options);
  }

  /**
   * Evaluates several expressions against one flat scope in one fresh context; returns their
   * values in order. A failing expression rejects with SandboxError('script' or 'not_json') whose
   * `expressionIndex` says which.
   */
  async evaluate(expressions: string[], scope: Record<string, Json>, options: RunOptions = {}): Promise<Json[]> {
    if (!Array.isArray(expressions) || expressions.some((expression) => typeof expression !== 'string')) {
      throw new TypeError('expressions must be an array of strings');
    }
    if (expressions.length === 0) return [];
    const values = await this.submit('evaluate', evaluateSource(expressions), expressions, scope, options);
    if (!Array.isArray(values) || values.length !== expressions.length) throw new SandboxError('not_json', 'Result is not JSON');
    return values;
  }

  /** Disposes every isolate; queued and running calls reject with 'canceled'. */
  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    for (const group of this.groups.values()) {
      for (const job of group.queue.splice(0)) this.settleError(job, new SandboxError('canceled', 'Script was canceled: the sandbox was shut down'));
      for (const slot of group.slots.splice(0)) {
        if (slot.current !== undefined) this.settleError(slot.current, new SandboxError('canceled', 'Script was canceled: the sandbox was shut down'));
        slot.retire();
      }
    }
    this.groups.clear();
  }

  stats(): IsolatePoolStats {
    let isolates = 0;
    for (const group of this.groups.values()) isolates += group.slots.length;
    return { isolates, evaluations: this.evaluations, recycled: this.recycled, catastrophicErrors: this.catastrophicErrors };
  }

  private submit(
    kind: JobKind,
    source: string,
    expressions: readonly string[] | undefined,
    scope: Record<string, Json>,
    options: RunOptions,
  ): Promise<Json> {
    if (this.disposed) return Promise.reject(new Error('The sandbox pool is disposed'));
    if (typeof scope !== 'object' || scope === null || Array.isArray(scope)) {
      return Promise.reject(new TypeError('scope must be a plain object'));
    }
    let limits: IsolateLimits;
    let input: string;
    try {
      limits = validateLimits({ ...this.defaultLimits, ...definedOnly(options.limits) });
      input = JSON.stringify(scope);
    } catch (error) {
      return Promise.reject(error);
    }
    const signal = options.signal;
    if (signal?.aborted) return Promise.reject(new SandboxError('canceled', 'Script was canceled'));

    return new Promise<Json>((resolve, reject) => {
      const job: Job = {
        kind,
        source,
        expressions,
        input,
        limits,
        signal,
        phase: 'queued',
        resolve,
        reject,
        slot: undefined,
        timer: undefined,
        onAbort: undefined,
      };
      if (signal !== undefined) {
        job.onAbort = () => this.kill(job, new SandboxError('canceled', 'Script was canceled'));
        signal.addEventListener('abort', job.onAbort, { once: true });
      }
      const group = this.group(limits.memoryMb);
      group.queue.push(job);
      this.dispatch(group);
    });
  }

  private group(memoryMb: number): Group {
    let group = this.groups.get(memoryMb);
    if (group === undefined) {
      group = { memoryMb, slots: [], queue: [] };
      this.groups.set(memoryMb, group);
    }
    return group;
  }

  /** Starts queued jobs on free isolates, creating isolates up to the limit. */
  private dispatch(group: Group): void {
    while (group.queue.length > 0 && !this.disposed) {
      // Prefer an isolate whose next context is ready, then one that can make it at once; make a
      // new isolate before waiting for a context still being made.
      const idle = group.slots.filter((candidate) => !candidate.busy);
      let slot = idle.find((candidate) => candidate.spareReady) ?? idle.find((candidate) => !candidate.sparePending);
      if (slot === undefined && group.slots.length >= this.isolatesPerLimit) slot = idle[0];
      if (slot === undefined) {
        if (group.slots.length >= this.isolatesPerLimit) return;
        try {
          slot = new Slot(group, this.scriptCacheSize, (which, message) => this.catastrophic(which, message));
        } catch (error) {
          const job = group.queue.shift();
          if (job !== undefined) this.settleError(job, new SandboxError('memory', `Could not create a sandbox: ${messageOf(error)}`));
          continue;
        }
        group.slots.push(slot);
      }
      const job = group.queue.shift();
      if (job === undefined) return;
      void this.execute(slot, job);
    }
  }

  private async execute(slot: Slot, job: Job): Promise<void> {
    slot.busy = true;
    slot.current = job;
    job.slot = slot;
    job.phase = 'preparing';
    let context: ivm.Context | undefined;
    try {
      const filename = job.kind === 'run' ? SCRIPT_FILENAME : EXPRESSION_FILENAME;
      let script: ivm.Script;
      try {
        script = await slot.script(job.source, filename, job.kind === 'run' ? RUN_LINE_OFFSET : 0);
      } catch (error) {
        if (abandoned(job, slot)) return;
        throw await this.compileError(slot, job, error);
      }
      if (abandoned(job, slot)) return;
      context = await slot.takeContext();
      if (abandoned(job, slot)) return;

      context.global.setSync(INPUT_GLOBAL, job.input);
      job.phase = 'running';
      this.evaluations++;
      const { timeoutMs } = job.limits;
      job.timer = setTimeout(() => this.kill(job, timeoutError(timeoutMs)), timeoutMs + graceMs(timeoutMs));
      const output: unknown = await script.run(context, { timeout: timeoutMs, promise: true });
      if (isDone(job)) return;
      const decoded = decodeResult(output);
      if (decoded.kind === 'ok') {
        let value: Json;
        try {
          value = JSON.parse(decoded.json) as Json;
        } catch {
          // only possible if user code replaced the wrapper's JSON.stringify
          this.settleError(job, new SandboxError('not_json', 'Result is not JSON'));
          return;
        }
        this.settle(job, value);
      } else {
        const code = decoded.kind === 'error' ? 'script' : 'not_json';
        this.settleError(job, new SandboxError(code, withIndex(clip(decoded.message), decoded.index, job), { expressionIndex: decoded.index }));
      }
    } catch (error) {
      if (!isDone(job)) this.settleError(job, error instanceof SandboxError ? error : this.runtimeError(slot, job, error));
    } finally {
      try {
        context?.release();
      } catch {
        // the isolate is gone
      }
      if (slot.current === job) slot.current = undefined;
      if (!slot.retired && slot.isolate.isDisposed) this.retire(slot); // isolated-vm disposed it (memory limit)
      if (!slot.retired) {
        slot.busy = false;
        this.dispatch(slot.group);
        if (!slot.busy) slot.prepareSpare(); // queued work first: it makes its context synchronously
      }
    }
  }

  /** Maps an error from compiling a job's script; for evaluate, finds the bad expression. */
  private async compileError(slot: Slot, job: Job, error: unknown): Promise<SandboxError> {
    if (slot.isolate.isDisposed) return this.runtimeError(slot, job, error);
    if (job.kind === 'evaluate' && job.expressions !== undefined) {
      for (let index = 0; index < job.expressions.length; index++) {
        try {
          const script = await slot.isolate.compileScript(singleExpressionSource(job.expressions[index] ?? ''), {
            filename: EXPRESSION_FILENAME,
            lineOffset: SINGLE_EXPRESSION_LINE_OFFSET,
          });
          script.release();
        } catch (expressionError) {
          if (slot.isolate.isDisposed) break;
          // no line number: expressions are short, and the error often sits on the wrapper's closing line
          return new SandboxError('script', `Expression ${index}: ${syntaxMessage(expressionError, false)}`, { expressionIndex: index });
        }
      }
    }
    return new SandboxError('script', syntaxMessage(error, job.kind === 'run'));
  }

  /** Maps a failure of isolated-vm itself (not an exception of user code, which the wrapper reports). */
  private runtimeError(slot: Slot, job: Job, error: unknown): SandboxError {
    const message = messageOf(error);
    if (slot.catastrophic || /memory limit/i.test(message)) return memoryError(job.limits.memoryMb);
    if (/timed out/i.test(message)) return timeoutError(job.limits.timeoutMs);
    if (slot.isolate.isDisposed) return memoryError(job.limits.memoryMb);
    // Something user code broke in its own wrapper (e.g. returned a value that cannot be transferred).
    const name = error instanceof Error && typeof error.name === 'string' ? error.name : 'Error';
    return new SandboxError('script', clip(`${name}: ${message.replace(/ \[[^\]]*\]$/, '')}`));
  }

  /** Ends a job now (timeout, abort): drops it from the queue or disposes the isolate running it. */
  private kill(job: Job, error: SandboxError): void {
    if (job.phase === 'done') return;
    const running = job.phase === 'running';
    if (job.phase === 'queued') {
      for (const group of this.groups.values()) {
        const index = group.queue.indexOf(job);
        if (index !== -1) group.queue.splice(index, 1);
      }
    }
    this.settleError(job, error);
    if (running && job.slot !== undefined) this.retire(job.slot);
  }

  private catastrophic(slot: Slot, message: string): void {
    if (!slot.catastrophic) {
      slot.catastrophic = true;
      this.catastrophicErrors++;
      const job = slot.current;
      if (job !== undefined) this.kill(job, memoryError(job.limits.memoryMb));
      this.retire(slot);
    }
    try {
      this.onCatastrophicError?.(message);
    } catch {
      // the listener's problem
    }
  }

  /** Disposes a slot's isolate and removes it from its group; a new isolate replaces it on demand. */
  private retire(slot: Slot): void {
    if (slot.retired) return;
    slot.retire();
    const slots = slot.group.slots;
    const index = slots.indexOf(slot);
    if (index !== -1) {
      slots.splice(index, 1);
      if (!this.disposed) this.recycled++;
    }
    queueMicrotask(() => this.dispatch(slot.group));
  }

  private settle(job: Job, value: Json): void {
    if (job.phase === 'done') return;
    this.finish(job);
    job.resolve(value);
  }

  private settleError(job: Job, error: SandboxError): void {
    if (job.phase === 'done') return;
    this.finish(job);
    job.reject(error);
  }

  private finish(job: Job): void {
    job.phase = 'done';
    if (job.timer !== undefined) clearTimeout(job.timer);
    if (job.onAbort !== undefined) job.signal?.removeEventListener('abort', job.onAbort);
  }
}

// Functions, not inline comparisons: a job's phase changes while `execute` awaits.
function isDone(job: Job): boolean {
  return job.phase === 'done';
}

function abandoned(job: Job, slot: Slot): boolean {
  return job.phase === 'done' || slot.retired;
}

function definedOnly(limits: Partial<IsolateLimits> | undefined): Partial<IsolateLimits> {
  const result: Partial<IsolateLimits> = {};
  if (limits?.memoryMb !== undefined) result.memoryMb = limits.memoryMb;
  if (limits?.timeoutMs !== undefined) result.timeoutMs = limits.timeoutMs;
  return result;
}

function validateLimits(limits: IsolateLimits): IsolateLimits {
  if (!Number.isInteger(limits.memoryMb) || limits.memoryMb < MIN_MEMORY_MB) {
    throw new RangeError(`memoryMb must be an integer of at least ${MIN_MEMORY_MB}`);
  }
  if (!Number.isFinite(limits.timeoutMs) || limits.timeoutMs <= 0) throw new RangeError('timeoutMs must be a positive number');
  return { memoryMb: limits.memoryMb, timeoutMs: Math.ceil(limits.timeoutMs) };
}

function timeoutError(timeoutMs: number): SandboxError {
  return new SandboxError('timeout', `Script timed out after ${timeoutMs} ms`);
}

function memoryError(memoryMb: number): SandboxError {
  return new SandboxError('memory', `Script exceeded the memory limit of ${memoryMb} MB`);
}

function messageOf(error: unknown): string {
  if (error instanceof Error && typeof error.message === 'string') return error.message;
  return String(error);
}

/** "SyntaxError: Unexpected token ')' (line 3)" from isolated-vm's "Unexpected token ')' [file:3:1]". */
function syntaxMessage(error: unknown, withLine: boolean): string {
  const name = error instanceof Error && typeof error.name === 'string' ? error.name : 'SyntaxError';
  const raw = messageOf(error);
  const location = / \[[^\]]*:(-?\d+):\d+\]$/.exec(raw);
  const message = location === null ? raw : raw.slice(0, location.index);
  const line = location === null ? 0 : Number(location[1]);
  return clip(withLine && line >= 1 ? `${name}: ${message} (line ${line})` : `${name}: ${message}`);
}

function withIndex(message: string, index: number | undefined, job: Job): string {
  return job.kind === 'evaluate' && index !== undefined ? `Expression ${index}: ${message}` : message;
}

function clip(message: string): string {
  return message.length > MAX_MESSAGE_LENGTH ? `${message.slice(0, MAX_MESSAGE_LENGTH)}…` : message;
}
