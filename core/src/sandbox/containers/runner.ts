/**
 * Runs `core.script` code (Python, JavaScript, Bash) in a fresh, single-use Docker container.
 * See protocol.ts for what goes in and out of a container, warm.ts for the warm pool.
 *
 * Every container (restricted, the default):
 *   - NetworkMode 'none' (trusted: 'bridge'; everything else identical)
 *   - ReadonlyRootfs; tmpfs /work (uid 10001, 0700) and /tmp, nosuid,nodev,noexec, size-limited
 *   - User 10001:10001, CapDrop ALL, SecurityOpt no-new-privileges, not privileged
 *   - Memory = MemorySwap = memoryMb MiB (no swap), NanoCpus = cpus × 1e9, PidsLimit = pids,
 *     nofile ulimit 1024
 *   - no binds, volumes or mounts of any host path (never the Docker socket)
 *   - LogConfig 'none' (logs and secrets are not kept by the daemon; we read them via attach)
 *   - code, input, args and env/secrets are sent on stdin, never in the container config
 *   - AutoRemove false; the runner always removes it itself (force) in a finally block: after
 *     an error, timeout or abort before run() rejects; after a success (the container has
 *     already exited) in the background, which close() waits for
 *   - labelled `piper.script=1` plus the runner's own labels, so `sweep()` finds leftovers.
 *
 * The timeout counts from the moment the request is handed to the (started) container, so it
 * measures the script, not container creation.
 */
import { randomBytes } from 'node:crypto';
import { PassThrough, type Duplex } from 'node:stream';
import { StringDecoder } from 'node:string_decoder';
import Dockerode from 'dockerode';
import type { Json } from '@piper/sdk';
import { BASE_ENV, BOOTSTRAP, PRESPAWN_ARGV, TRAILER_PREFIX, bootRequest, type ScriptLanguage, type Trailer } from './protocol.js';
import { WarmPool } from './warm.js';

export const DEFAULT_SCRIPT_IMAGE = 'piper/script-runtime:1';
export const SCRIPT_LABEL = 'piper.script';

export interface ScriptLimits {
  timeoutMs: number;
  memoryMb: number;
  cpus: number;
  pids: number;
}

export interface ScriptRequest {
  language: ScriptLanguage;
  code: string;
  input: Json;
  args: Json;
  /** Environment variables for the script (secrets). */
  env?: Record<string, string>;
  trust: 'restricted' | 'trusted';
  limits: ScriptLimits;
  /** Default `piper/script-runtime:1`. Any image needs python3 (the bootstrap), and node / bash for those languages. */
  image?: string;
  signal?: AbortSignal;
  /** Each stdout/stderr line of the script, as it is printed (without the newline). */
  onLog?(stream: 'stdout' | 'stderr', line: string): void;
}

export interface ScriptResult {
  output: Json;
  /** Regular files the script wrote under /work/output/ (names relative to it, `/`-separated). */
  files: Array<{ name: string; data: Buffer }>;
}

export type ScriptErrorCode = 'timeout' | 'memory' | 'exit' | 'protocol' | 'canceled' | 'docker';

export class ScriptError extends Error {
  override readonly name = 'ScriptError';
  readonly code: ScriptErrorCode;
  readonly exitCode: number | undefined;

  constructor(code: ScriptErrorCode, message: string, options?: { exitCode?: number; cause?: unknown }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.exitCode = options?.exitCode;
  }
}

export interface ContainerRunnerOptions {
  docker?: Dockerode;
  /** Extra labels on every container (and the filter `sweep()` uses), e.g. `{ 'piper.worker': id }`. */
  labels?: Record<string, string>;
  /** Warm containers kept ready per (image, trust, memory, cpus, pids, javascript or not); 0 disables. Default 1. */
  warm?: number;
  /** A warm container idle for longer is replaced rather than used. Default 10 minutes. */
  warmMaxIdleMs?: number;
  /** Cap on the total size of the files returned from /work/output. Default 50 MiB. */
  maxFileBytes?: number;
  /** Size of the /work tmpfs in MiB. Default 64 (it must hold the output files). */
  workMb?: number;
  /** Size of the /tmp tmpfs in MiB. Default 64. */
  tmpMb?: number;
  /** Lines longer than this many characters are split. Default 64 Ki. */
  maxLineChars?: number;
  /** Lines of stderr quoted in an 'exit' error message. Default 20. */
  stderrTailLines?: number;
}

interface ContainerSpec {
  image: string;
  trust: 'restricted' | 'trusted';
  memoryMb: number;
  cpus: number;
  pids: number;
  /** JavaScript: Node is started with the container (protocol.ts, PRESPAWN_ARGV). */
  prespawn: boolean;
}

interface Prepared {
  container: Dockerode.Container;
  stream: Duplex;
  stdout: PassThrough;
  stderr: PassThrough;
  ended: boolean;
  createdAt: number;
}

const MiB = 1024 * 1024;

export class ContainerRunner {
  readonly docker: Dockerode;
  readonly labels: Readonly<Record<string, string>>;
  private readonly pool: WarmPool<ContainerSpec, Prepared>;
  private readonly maxFileBytes: number;
  private readonly workMb: number;
  private readonly tmpMb: number;
  private readonly maxLineChars: number;
  private readonly stderrTailLines: number;
  /** Ids of containers this runner currently owns (idle in the pool or running a call). */
  private readonly owned = new Set<string>();
  private readonly removals = new Set<Promise<void>>();

  constructor(opts: ContainerRunnerOptions = {}) {
    this.docker = opts.docker ?? new Dockerode();
    this.labels = { ...(opts.labels ?? {}), [SCRIPT_LABEL]: '1' };
    this.maxFileBytes = opts.maxFileBytes ?? 50 * MiB;
    this.workMb = opts.workMb ?? 64;
    this.tmpMb = opts.tmpMb ?? 64;
    this.maxLineChars = opts.maxLineChars ?? 64 * 1024;
    this.stderrTailLines = opts.stderrTailLines ?? 20;
    this.pool = new WarmPool<ContainerSpec, Prepared>(
      opts.warm ?? 1,
      (s) => JSON.stringify([s.image, s.trust, s.memoryMb, s.cpus, s.pids, s.prespawn]),
      (s) => this.prepare(s),
      (p) => this.dispose(p),
      opts.warmMaxIdleMs,
    );
  }

  /** Runs one script in its own container. Rejects with a ScriptError. */
  async run(req: ScriptRequest): Promise<ScriptResult> {
    const spec = specOf(req);
    if (req.signal?.aborted) throw new ScriptError('canceled', 'Script canceled');
    let prepared = this.pool.take(spec);
    if (prepared === undefined) {
      try {
        prepared = await this.prepare(spec);
      } catch (error) {
        throw new ScriptError('docker', `Could not start a script container: ${errorText(error)}`, { cause: error });
      }
    }
    let succeeded = false;
    try {
      if (req.signal?.aborted) throw new ScriptError('canceled', 'Script canceled');
      const result = await this.execute(prepared, req);
      succeeded = true;
      return result;
    } finally {
      if (succeeded) {
        // The script is done (its container is exiting): remove it (force) without making the
        // caller wait (~50-90 ms); close() waits for these removals, sweep() skips them.
        this.trackRemoval(this.dispose(prepared));
      } else {
        // Timeout, abort or error: the caller gets the error once the container is gone.
        await this.dispose(prepared);
      }
    }
  }

  /**
   * Creates warm containers for these settings now, so the first call is warm too. JavaScript has
   * its own containers (Node is started with them); python and bash share theirs (the default).
   */
  prewarm(opts: Pick<ScriptRequest, 'trust' | 'limits' | 'image'> & { language?: ScriptLanguage }): Promise<void> {
    return this.pool.prewarm(specOf({ ...opts, language: opts.language ?? 'python' }));
  }

  /**
   * Removes every container carrying this runner's labels that it does not own itself (leftovers
   * of a crashed worker). Call at worker start. Returns how many were removed.
   */
  async sweep(): Promise<number> {
    const label = Object.entries(this.labels).map(([k, v]) => `${k}=${v}`);
    const list = await this.docker.listContainers({ all: true, filters: { label } });
    let removed = 0;
    for (const info of list) {
      if (this.owned.has(info.Id)) continue;
      try {
        await this.docker.getContainer(info.Id).remove({ force: true });
        removed++;
      } catch (error) {
        if (statusOf(error) !== 404) throw error;
      }
    }
    return removed;
  }

  /**
   * Removes the warm containers and stops refilling, and waits for the background removals of
   * used containers. Calls in flight still finish.
   */
  async close(): Promise<void> {
    await this.pool.close();
    while (this.removals.size > 0) await Promise.all([...this.removals]);
  }

  private trackRemoval(promise: Promise<void>): void {
    const p = promise.catch(() => undefined).finally(() => this.removals.delete(p));
    this.removals.add(p);
  }

  /** Creates, attaches and starts a container whose bootstrap waits for a request on stdin. */
  private async prepare(spec: ContainerSpec): Promise<Prepared> {
    const tmpfsOpts = 'rw,nosuid,nodev,noexec';
    const container = await this.docker.createContainer({
      Image: spec.image,
      Cmd: ['python3', '-I', '-S', '-c', BOOTSTRAP, ...(spec.prespawn ? [JSON.stringify(PRESPAWN_ARGV), JSON.stringify(BASE_ENV)] : [])],
      Entrypoint: [],
      User: '10001:10001',
      WorkingDir: '/work',
      Env: [],
      Labels: { ...this.labels },
      AttachStdin: true,
      AttachStdout: true,
      AttachStderr: true,
      OpenStdin: true,
      StdinOnce: true,
      Tty: false,
      NetworkDisabled: spec.trust === 'restricted',
      HostConfig: {
        NetworkMode: spec.trust === 'restricted' ? 'none' : 'bridge',
        ReadonlyRootfs: true,
        Tmpfs: {
          '/work': `${tmpfsOpts},size=${this.workMb}m,uid=10001,gid=10001,mode=0700`,
          '/tmp': `${tmpfsOpts},size=${this.tmpMb}m,mode=1777`,
        },
        Binds: [],
        Mounts: [],
        Privileged: false,
        CapDrop: ['ALL'],
        SecurityOpt: ['no-new-privileges'],
        Memory: spec.memoryMb * MiB,
        MemorySwap: spec.memoryMb * MiB,
        NanoCpus: Math.round(spec.cpus * 1e9),
        PidsLimit: spec.pids,
        Ulimits: [{ Name: 'nofile', Soft: 1024, Hard: 1024 }],
        AutoRemove: false,
        LogConfig: { Type: 'none', Config: {} },
      },
    });
    this.owned.add(container.id);
    try {
      const stream = (await container.attach({ stream: true, stdin: true, stdout: true, stderr: true, hijack: true })) as Duplex;
      const stdout = new PassThrough();
      const stderr = new PassThrough();
      const prepared: Prepared = { container, stream, stdout, stderr, ended: false, createdAt: Date.now() };
      const end = () => {
        prepared.ended = true;
        stdout.end();
        stderr.end();
      };
      stream.on('end', end);
      stream.on('close', end);
      stream.on('error', end);
      this.docker.modem.demuxStream(stream, stdout, stderr);
      await container.start();
      return prepared;
    } catch (error) {
      await this.removeContainer(container);
      throw error;
    }
  }

  private async dispose(prepared: Prepared): Promise<void> {
    prepared.stream.destroy();
    await this.removeContainer(prepared.container);
  }

  private async removeContainer(container: Dockerode.Container): Promise<void> {
    for (let attempt = 0; ; attempt++) {
      try {
        await container.remove({ force: true });
        break;
      } catch (error) {
        const status = statusOf(error);
        if (status === 404) break;
        // 409: removal already in progress.
        if (status === 409 || attempt >= 2) break;
        await new Promise((r) => setTimeout(r, 100));
      }
    }
    this.owned.delete(container.id);
  }

  private async execute(prepared: Prepared, req: ScriptRequest): Promise<ScriptResult> {
    const { container } = prepared;
    const nonce = randomBytes(16).toString('hex');
    const marker = `${TRAILER_PREFIX}${nonce} `;
    const maxTrailerChars = Math.ceil((this.maxFileBytes * 4) / 3) + 16 * MiB;
    const onLog = req.onLog;
    const stderrTail: string[] = [];
    let trailerText: string | undefined;
    let stderrMarked = false;
    let overflow = false;
    let finished = false;
    let markersSeen: () => void = () => undefined;
    const bothMarkers = new Promise<void>((resolve) => (markersSeen = resolve));

    const log = (stream: 'stdout' | 'stderr', line: string) => {
      if (stream === 'stderr') {
        stderrTail.push(line);
        if (stderrTail.length > this.stderrTailLines) stderrTail.shift();
      }
      if (!onLog || finished) return;
      try {
        onLog(stream, line);
      } catch {
        // A throwing log sink must not break the run.
      }
    };
    /**
     * Lines of one stream. The bootstrap ends each stream with "\n" + marker: an empty line right
     * before the marker is that separator, so empty lines are held back one line.
     */
    const sink = (stream: 'stdout' | 'stderr', onMarker: (rest: string) => void) => {
      let heldEmpty = false;
      return splitLines(
        stream === 'stdout' ? prepared.stdout : prepared.stderr,
        (line) => {
          if (line.startsWith(marker)) {
            heldEmpty = false;
            onMarker(line.slice(marker.length));
            if (trailerText !== undefined && stderrMarked) markersSeen();
            return;
          }
          if (heldEmpty) log(stream, '');
          heldEmpty = line === '';
          if (!heldEmpty) log(stream, line);
        },
        (partial) => (partial.startsWith(TRAILER_PREFIX) ? maxTrailerChars : this.maxLineChars),
        () => (overflow = true),
      ).then(() => {
        if (heldEmpty) log(stream, '');
      });
    };
    const stdoutDone = sink('stdout', (rest) => (trailerText = rest));
    const stderrDone = sink('stderr', () => (stderrMarked = true));

    const waited = container.wait() as Promise<{ StatusCode: number }>;
    waited.catch(() => undefined);
    const boot = bootRequest({
      nonce,
      language: req.language,
      code: req.code,
      input: req.input,
      args: req.args,
      env: req.env,
      maxFileBytes: this.maxFileBytes,
    });
    prepared.stream.write(JSON.stringify(boot));
    prepared.stream.end();

    type Outcome =
      | { kind: 'exit'; status: number }
      | { kind: 'done' }
      | { kind: 'timeout' }
      | { kind: 'canceled' }
      | { kind: 'error'; error: unknown };
    const outcome = await new Promise<Outcome>((resolve) => {
      const timer = setTimeout(() => finish({ kind: 'timeout' }), req.limits.timeoutMs);
      const onAbort = () => finish({ kind: 'canceled' });
      req.signal?.addEventListener('abort', onAbort, { once: true });
      function finish(o: Outcome) {
        clearTimeout(timer);
        req.signal?.removeEventListener('abort', onAbort);
        resolve(o);
      }
      // Both end markers seen = all the script's output is in: no need to wait for the container
      // to exit (saves ~50 ms; the container is removed right after).
      void bothMarkers.then(() => finish({ kind: 'done' }));
      waited.then(
        (r) => finish({ kind: 'exit', status: r.StatusCode }),
        (error: unknown) => finish({ kind: 'error', error }),
      );
    });

    if (outcome.kind === 'timeout' || outcome.kind === 'canceled') {
      await container.kill().catch(() => undefined);
      if (outcome.kind === 'timeout') throw new ScriptError('timeout', `Script timed out after ${req.limits.timeoutMs} ms`);
      throw new ScriptError('canceled', 'Script canceled');
    }
    if (outcome.kind === 'error') {
      throw new ScriptError('docker', `Lost the script container: ${errorText(outcome.error)}`, { cause: outcome.error });
    }

    let status: number;
    if (outcome.kind === 'exit') {
      // The process is gone; let the last output drain (bounded).
      await withTimeout(Promise.all([stdoutDone, stderrDone]), 2000);
      status = outcome.status;
    } else {
      status = parseTrailer(trailerText)?.exit ?? 1;
      if (status !== 0) {
        // Failed: wait for the exit so that an OOM kill is recorded before we inspect.
        const r = await withTimeout(waited, 5000);
        if (r) status = r.StatusCode;
      }
    }
    finished = true;
    if (status !== 0) {
      const info = await container.inspect().catch(() => undefined);
      if (info?.State.OOMKilled) {
        throw new ScriptError('memory', `Script ran out of memory (limit ${req.limits.memoryMb} MiB)`, { exitCode: status });
      }
    }
    if (overflow) throw new ScriptError('protocol', 'Script output too large');
    const trailer = parseTrailer(trailerText);
    const exitCode = trailer ? trailer.exit : status;
    if (exitCode !== 0) {
      const tail = stderrTail.join('\n').trim();
      // The interpreter gave up before the kernel's OOM killer stepped in (V8 heap limit, malloc failure).
      if (/JavaScript heap out of memory|^MemoryError\b/m.test(tail)) {
        throw new ScriptError('memory', `Script ran out of memory (limit ${req.limits.memoryMb} MiB):\n${tail}`, { exitCode });
      }
      throw new ScriptError('exit', `Script exited with code ${exitCode}${tail ? `:\n${tail}` : ''}`, { exitCode });
    }
    if (!trailer) throw new ScriptError('protocol', 'Script container ended without a result');
    if (trailer.filesError !== undefined) throw new ScriptError('protocol', `Script ${trailer.filesError}`);
    const result = trailer.result;
    if (!result) throw new ScriptError('protocol', 'Script ended without a result');
    if (!result.ok) throw new ScriptError('protocol', `Script ${result.message}`);
    return {
      output: result.output as Json,
      files: trailer.files.map((f) => ({ name: f.name, data: Buffer.from(f.b64, 'base64') })),
    };
  }
}

function specOf(req: Pick<ScriptRequest, 'trust' | 'limits' | 'image' | 'language' | 'env'>): ContainerSpec {
  const { limits } = req;
  const positive = (name: string, v: number) => {
    if (!Number.isFinite(v) || v <= 0) throw new ScriptError('protocol', `Invalid script limit ${name}: ${v}`);
  };
  positive('timeoutMs', limits.timeoutMs);
  positive('memoryMb', limits.memoryMb);
  positive('cpus', limits.cpus);
  positive('pids', limits.pids);
  if (limits.memoryMb < 16) throw new ScriptError('protocol', 'Invalid script limit memoryMb: at least 16');
  if (req.trust !== 'restricted' && req.trust !== 'trusted') throw new ScriptError('protocol', `Invalid trust: ${String(req.trust)}`);
  for (const [name, value] of Object.entries(req.env ?? {})) {
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) throw new ScriptError('protocol', `Invalid environment variable name: ${name}`);
    if (typeof value !== 'string' || value.includes('\0')) {
      throw new ScriptError('protocol', `Invalid value for the environment variable ${name}`);
    }
  }
  if (!['python', 'javascript', 'bash'].includes(req.language)) {
    throw new ScriptError('protocol', `Unsupported script language: ${String(req.language)}`);
  }
  return {
    image: req.image ?? DEFAULT_SCRIPT_IMAGE,
    trust: req.trust,
    memoryMb: Math.floor(limits.memoryMb),
    cpus: limits.cpus,
    pids: Math.floor(limits.pids),
    prespawn: req.language === 'javascript',
  };
}

/**
 * Calls `onLine` for each line of `stream` (utf-8, `\n` or `\r\n`); a final unterminated line is
 * emitted at the end. A line longer than `maxChars(partial)` is split, or for the trailer dropped
 * with `onOverflow`. Resolves when the stream ends.
 */
function splitLines(
  stream: PassThrough,
  onLine: (line: string) => void,
  maxChars: (partial: string) => number,
  onOverflow: () => void,
): Promise<void> {
  return new Promise((resolve) => {
    const decoder = new StringDecoder('utf8');
    let buffer = '';
    let dropping = false;
    const emit = (line: string) => onLine(line.endsWith('\r') ? line.slice(0, -1) : line);
    stream.on('data', (chunk: Buffer) => {
      buffer += decoder.write(chunk);
      let nl: number;
      while ((nl = buffer.indexOf('\n')) !== -1) {
        const line = buffer.slice(0, nl);
        buffer = buffer.slice(nl + 1);
        if (dropping) dropping = false;
        else emit(line);
      }
      if (dropping) {
        buffer = '';
      } else if (buffer.length > maxChars(buffer)) {
        if (buffer.startsWith(TRAILER_PREFIX)) {
          onOverflow();
          dropping = true;
          buffer = '';
        } else {
          const max = maxChars(buffer);
          while (buffer.length > max) {
            emit(buffer.slice(0, max));
            buffer = buffer.slice(max);
          }
        }
      }
    });
    stream.on('end', () => {
      buffer += decoder.end();
      if (buffer.length > 0 && !dropping) emit(buffer);
      resolve();
    });
  });
}

function parseTrailer(text: string | undefined): Trailer | undefined {
  if (text === undefined) return undefined;
  try {
    const t = JSON.parse(text) as Trailer;
    if (typeof t.exit !== 'number' || !Array.isArray(t.files)) return undefined;
    return t;
  } catch {
    return undefined;
  }
}

/** The value of `promise`, or undefined after `ms` (or when it rejects). */
async function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T | undefined> {
  let timer: NodeJS.Timeout | undefined;
  const value = await Promise.race([promise.catch(() => undefined), new Promise<undefined>((r) => (timer = setTimeout(() => r(undefined), ms)))]);
  clearTimeout(timer);
  return value;
}

function statusOf(error: unknown): number | undefined {
  const code = (error as { statusCode?: unknown } | null)?.statusCode;
  return typeof code === 'number' ? code : undefined;
}

function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
