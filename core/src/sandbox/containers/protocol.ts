/**
 * The protocol between the runner (host) and a script container.
 *
 * A container runs a small, language-agnostic Python bootstrap (`BOOTSTRAP`, passed as
 * `python3 -I -S -c …`, so nothing lives on disk before the request arrives). The bootstrap
 * blocks on stdin; that is what lets the warm pool create and start containers ahead of time.
 *
 * 1. The runner writes ONE JSON document on the container's stdin and closes it:
 *    `{ nonce, files: { "/work/.piper/…": text }, argv: [...], stdin: path|null, env: {...},
 *       resultFile: path|null, lastLineResult: boolean, maxFileBytes: number }`.
 *    Code, input, args and secrets therefore never appear in the container's config
 *    (`docker inspect`), only in its memory and its tmpfs.
 * 2. The bootstrap writes `files` (the user code, the language wrapper and
 *    `/work/.piper/request.json` = `{"input":…,"args":…}`), creates `/work/output/`, and runs
 *    `argv` as a child process in `/work` with exactly `env` (a minimal PATH/HOME/LANG plus the
 *    request's env vars, i.e. the secrets). The child's stdout and stderr are the container's: the
 *    runner splits them into lines and hands them to `onLog` as they arrive.
 * 3. Per language (the `core.script` row of API.md):
 *    - python: the wrapper `exec`s the user code (file name `main.py`), calls `main(input, args)`
 *      (awaiting it if it is a coroutine) and writes `{"ok":true,"output":…}` to
 *      `/work/.piper/result.json`.
 *    - javascript: the user code is an ES module (`main.mjs`, Node 18) whose default export is
 *      `async (input, args) => …`; the wrapper `import()`s it, awaits the call, writes the result
 *      file the same way and exits (open handles do not keep the script alive). `undefined` → null.
 *    - bash: the script (`main.sh`, run by `bash`) gets `{"input":…,"args":…}` on stdin. The LAST
 *      non-blank line of its stdout is the result and must be JSON; every earlier stdout line is
 *      a log line (it is streamed one line late, so the result line is never logged). No stdout at
 *      all → output null.
 *    An uncaught exception / `set -e` failure makes the child exit non-zero with its traceback on
 *    stderr (→ ScriptError 'exit' with the last stderr lines). A missing `main`/default export or
 *    a return value that is not JSON → ScriptError 'protocol'.
 * 4. When the child has exited, the bootstrap reads the result and every regular file under
 *    `/work/output/` (recursively, names relative to it, total capped at `maxFileBytes`), and
 *    prints ONE trailer line on stdout: `"\x1ePIPER:" + nonce + " " + JSON` where JSON is
 *    `{ exit, result, files: [{ name, b64 }], filesError? }`, then exits with the child's code
 *    (128+signal when it was killed). Just before, it prints `"\x1ePIPER:" + nonce + " end"` on
 *    stderr: once the runner has both lines, it has all of the script's output and a successful
 *    call returns without waiting for the container to exit. The nonce is random per call, so a script printing
 *    `\x1ePIPER:` cannot be confused with the trailer by accident. (Files are returned this way
 *    because `docker cp`/getArchive cannot see tmpfs contents.)
 */

export const TRAILER_PREFIX = '\x1ePIPER:';
export const PIPER_DIR = '/work/.piper';
export const OUTPUT_DIR = '/work/output';

export interface BootRequest {
  nonce: string;
  files: Record<string, string>;
  argv: string[];
  stdin: string | null;
  env: Record<string, string>;
  resultFile: string | null;
  lastLineResult: boolean;
  maxFileBytes: number;
  /** Use the prespawned interpreter (see PRESPAWN_ARGV) when there is one. */
  prespawn: boolean;
}

export interface Trailer {
  exit: number;
  result: { ok: true; output: unknown } | { ok: false; kind: string; message: string } | null;
  files: Array<{ name: string; b64: string }>;
  filesError?: string;
}

export const BOOTSTRAP = String.raw`
import sys, os, json, base64, subprocess
pre = None
if len(sys.argv) > 2:
    try: pre = subprocess.Popen(json.loads(sys.argv[1]), cwd='/work', env=json.loads(sys.argv[2]), stdin=subprocess.PIPE)
    except OSError: pre = None
req = json.loads(sys.stdin.buffer.read() or b'null')
if not req:
    if pre is not None: pre.kill()
    sys.exit(0)
os.makedirs('${PIPER_DIR}', exist_ok=True)
os.makedirs('${OUTPUT_DIR}', exist_ok=True)
for path, text in req['files'].items():
    with open(path, 'w', encoding='utf-8') as f: f.write(text)
stdin = open(req['stdin'], 'rb') if req['stdin'] else subprocess.DEVNULL
out = sys.stdout.buffer
p = None
if pre is not None and req.get('prespawn') and pre.poll() is None:
    try:
        pre.stdin.write(json.dumps(req['env']).encode('utf-8')); pre.stdin.close(); p = pre
    except OSError:
        p = None
if pre is not None and p is None:
    pre.kill(); pre.wait()
if p is None:
    try:
        p = subprocess.Popen(req['argv'], cwd='/work', env=req['env'], stdin=stdin,
                             stdout=subprocess.PIPE if req['lastLineResult'] else None)
    except OSError as e:
        sys.stderr.write('cannot start the script: %s\n' % e); sys.exit(126)
result = None
if req['lastLineResult']:
    # A reader thread, so that a background job still holding stdout does not block the end:
    # once the script has exited, what it printed within 0.5 s more is all there is.
    import threading
    pending, lock, state = [], threading.Lock(), {'stop': False}
    def pump():
        for line in p.stdout:
            with lock:
                if state['stop']: return
                if line.strip():
                    if pending: out.write(b''.join(pending)); out.flush()
                    pending[:] = [line]
                else:
                    pending.append(line)
    reader = threading.Thread(target=pump, daemon=True)
    reader.start()
    rc = p.wait()
    reader.join(0.5)
    lock.acquire()
    state['stop'] = True
    if pending:
        try: result = {'ok': True, 'output': json.loads(pending[0])}
        except ValueError: result = {'ok': False, 'kind': 'protocol', 'message': 'the last line of stdout is not JSON: ' + pending[0].decode('utf-8', 'replace').strip()[:200]}
    else:
        result = {'ok': True, 'output': None}
else:
    rc = p.wait()
    try:
        with open(req['resultFile'], 'rb') as f: result = json.loads(f.read())
    except (OSError, ValueError):
        result = None
files, total, err = [], 0, None
for root, dirs, names in os.walk('${OUTPUT_DIR}'):
    dirs.sort()
    for name in sorted(names):
        full = os.path.join(root, name)
        if not os.path.isfile(full) or os.path.islink(full): continue
        size = os.path.getsize(full)
        total += size
        if total > req['maxFileBytes']:
            err = 'output files exceed %d bytes' % req['maxFileBytes']; break
        with open(full, 'rb') as f: data = f.read()
        files.append({'name': os.path.relpath(full, '${OUTPUT_DIR}'), 'b64': base64.b64encode(data).decode('ascii')})
    if err: files = []; break
code = rc if rc >= 0 else 128 - rc
trailer = {'exit': code, 'result': result, 'files': files}
if err: trailer['filesError'] = err
sys.stderr.write('\n\x1ePIPER:' + req['nonce'] + ' end\n'); sys.stderr.flush()
out.write(b'\n\x1ePIPER:' + req['nonce'].encode('ascii') + b' ' + json.dumps(trailer).encode('utf-8') + b'\n')
out.flush()
sys.exit(code)
`;

const PYTHON_WRAPPER = String.raw`
import json, sys, inspect
def _piper_write(obj):
    with open('${PIPER_DIR}/result.json', 'w', encoding='utf-8') as f: f.write(obj)
def _piper_run():
    with open('${PIPER_DIR}/request.json', encoding='utf-8') as f: req = json.load(f)
    with open('${PIPER_DIR}/main.py', encoding='utf-8') as f: src = f.read()
    sys.path.insert(0, '/work')
    ns = {'__name__': '__piper__', '__file__': 'main.py', '__builtins__': __builtins__}
    exec(compile(src, 'main.py', 'exec'), ns)
    fn = ns.get('main')
    if not callable(fn):
        _piper_write(json.dumps({'ok': False, 'kind': 'protocol', 'message': 'the script must define main(input, args)'}))
        return
    out = fn(req['input'], req['args'])
    if inspect.iscoroutine(out):
        import asyncio  # ~60 ms to import: only when needed
        out = asyncio.run(out)
    try:
        data = json.dumps({'ok': True, 'output': out}, allow_nan=False)
    except (TypeError, ValueError) as e:
        data = json.dumps({'ok': False, 'kind': 'protocol', 'message': 'the return value of main is not JSON: %s' % e})
    sys.stdout.flush(); sys.stderr.flush()
    _piper_write(data)
_piper_run()
`;

const JS_WRAPPER = String.raw`
import { readFileSync, writeFileSync } from 'node:fs';
const write = (r) => writeFileSync('${PIPER_DIR}/result.json', r);
const req = JSON.parse(readFileSync('${PIPER_DIR}/request.json', 'utf8'));
const mod = await import('${PIPER_DIR}/main.mjs');
if (typeof mod.default !== 'function') {
  write(JSON.stringify({ ok: false, kind: 'protocol', message: 'the script must export default a function (input, args) => …' }));
} else {
  const out = await mod.default(req.input, req.args);
  let text;
  try {
    text = JSON.stringify({ ok: true, output: out === undefined ? null : out });
  } catch (e) {
    text = JSON.stringify({ ok: false, kind: 'protocol', message: 'the return value is not JSON: ' + (e && e.message) });
  }
  if (text === undefined) text = JSON.stringify({ ok: false, kind: 'protocol', message: 'the return value is not JSON' });
  write(text);
}
process.exit(0);
`;

/**
 * JavaScript containers start Node before the request arrives (Node 18 boots in ~120 ms): the
 * bootstrap gets this argv and the base env as extra arguments, spawns it at once, and on the
 * request writes the call's env (JSON) to its stdin; it then swaps in that env and imports the
 * wrapper. Any other language, or a prespawned process that died, falls back to `argv`.
 */
export const PRESPAWN_ARGV = [
  'node',
  '--input-type=module',
  '-e',
  `let s = ''; process.stdin.setEncoding('utf8'); for await (const c of process.stdin) s += c;
const env = JSON.parse(s); for (const k of Object.keys(process.env)) delete process.env[k]; Object.assign(process.env, env);
await import('${PIPER_DIR}/wrapper.mjs');`,
];

export type ScriptLanguage = 'python' | 'javascript' | 'bash';

export const BASE_ENV: Record<string, string> = {
  PATH: '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin',
  HOME: '/work',
  LANG: 'C.UTF-8',
  TMPDIR: '/tmp',
  PYTHONUNBUFFERED: '1',
  PYTHONDONTWRITEBYTECODE: '1',
  PIPER_OUTPUT_DIR: OUTPUT_DIR,
};

/** Builds the one document sent on the container's stdin for a call. */
export function bootRequest(opts: {
  nonce: string;
  language: ScriptLanguage;
  code: string;
  input: unknown;
  args: unknown;
  env: Record<string, string> | undefined;
  maxFileBytes: number;
}): BootRequest {
  const request = JSON.stringify({ input: opts.input, args: opts.args });
  const env = { ...BASE_ENV, ...(opts.env ?? {}) };
  const common = { nonce: opts.nonce, env, maxFileBytes: opts.maxFileBytes, prespawn: opts.language === 'javascript' };
  switch (opts.language) {
    case 'python':
      return {
        ...common,
        files: { [`${PIPER_DIR}/request.json`]: request, [`${PIPER_DIR}/main.py`]: opts.code, [`${PIPER_DIR}/wrapper.py`]: PYTHON_WRAPPER },
        argv: ['python3', `${PIPER_DIR}/wrapper.py`],
        stdin: null,
        resultFile: `${PIPER_DIR}/result.json`,
        lastLineResult: false,
      };
    case 'javascript':
      return {
        ...common,
        files: { [`${PIPER_DIR}/request.json`]: request, [`${PIPER_DIR}/main.mjs`]: opts.code, [`${PIPER_DIR}/wrapper.mjs`]: JS_WRAPPER },
        argv: ['node', `${PIPER_DIR}/wrapper.mjs`],
        stdin: null,
        resultFile: `${PIPER_DIR}/result.json`,
        lastLineResult: false,
      };
    case 'bash':
      return {
        ...common,
        files: { [`${PIPER_DIR}/request.json`]: request, [`${PIPER_DIR}/main.sh`]: opts.code },
        argv: ['bash', `${PIPER_DIR}/main.sh`],
        stdin: `${PIPER_DIR}/request.json`,
        resultFile: null,
        lastLineResult: true,
      };
  }
}
