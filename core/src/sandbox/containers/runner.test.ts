import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { randomBytes } from 'node:crypto';
import Dockerode from 'dockerode';
import { dockerSkip } from '../../testing/docker.js';
import { ContainerRunner, ScriptError, DEFAULT_SCRIPT_IMAGE, type ScriptErrorCode, type ScriptLimits, type ScriptRequest } from './runner.js';

/** These tests run real containers (see dockerSkip: in CI a missing engine fails them). */
const skip = await dockerSkip('runner.test.ts');
const docker = new Dockerode();

const testLabel = randomBytes(6).toString('hex');
const labels = { 'piper.test': testLabel };
const limits: ScriptLimits = { timeoutMs: 15_000, memoryMb: 128, cpus: 1, pids: 64 };

function request(language: ScriptRequest['language'], code: string, extra: Partial<ScriptRequest> = {}): ScriptRequest {
  return { language, code, input: { n: 2 }, args: { k: 'v' }, trust: 'restricted', limits, ...extra };
}

async function rejectsWith(promise: Promise<unknown>, ...codes: ScriptErrorCode[]): Promise<ScriptError> {
  try {
    const value = await promise;
    assert.fail(`expected a ScriptError (${codes.join('/')}), got ${JSON.stringify(value)}`);
  } catch (error) {
    assert.ok(error instanceof ScriptError, `expected a ScriptError, got ${String(error)}`);
    assert.ok(codes.includes(error.code), `expected ${codes.join('/')}, got ${error.code}: ${error.message}`);
    return error;
  }
}

async function labelled(extra?: string): Promise<Dockerode.ContainerInfo[]> {
  const label = [`piper.test=${testLabel}`];
  if (extra) label.push(extra);
  return docker.listContainers({ all: true, filters: { label } });
}

describe('ContainerRunner', { skip }, () => {
  let runner: ContainerRunner;
  let gateway: string;

  before(async () => {
    runner = new ContainerRunner({ labels, warm: 1 });
    const bridge = await docker.getNetwork('bridge').inspect();
    gateway = bridge.IPAM?.Config?.[0]?.Gateway ?? '172.17.0.1';
  });

  after(async () => {
    if (!runner) return;
    await runner.close();
    await runner.sweep();
  });

  describe('results', () => {
    it('python: main(input, args) returns the output', async () => {
      const res = await runner.run(request('python', 'def main(input, args):\n    return {"double": input["n"] * 2, "k": args["k"], "none": None}\n'));
      assert.deepEqual(res.output, { double: 4, k: 'v', none: null });
      assert.deepEqual(res.files, []);
    });

    it('python: async main is awaited', async () => {
      const res = await runner.run(request('python', 'async def main(input, args):\n    return [1, "two", 3.5, True]\n'));
      assert.deepEqual(res.output, [1, 'two', 3.5, true]);
    });

    it('javascript: the default export is called and awaited', async () => {
      const code = 'export default async (input, args) => { await new Promise((r) => setTimeout(r, 10)); return { sum: input.n + 1, k: args.k }; };\n';
      const res = await runner.run(request('javascript', code));
      assert.deepEqual(res.output, { sum: 3, k: 'v' });
    });

    it('javascript: undefined becomes null and open handles do not hang', async () => {
      const res = await runner.run(request('javascript', 'export default async () => { setInterval(() => {}, 1000); };\n'));
      assert.equal(res.output, null);
    });

    it('bash: JSON on stdin, the last stdout line is the result', async () => {
      const code = 'req=$(cat)\necho "got: $req"\necho\necho "{\\"len\\": ${#req}}"\n\n';
      const lines: string[] = [];
      const res = await runner.run(request('bash', code, { onLog: (s, l) => lines.push(`${s}:${l}`) }));
      const req = JSON.stringify({ input: { n: 2 }, args: { k: 'v' } });
      assert.deepEqual(res.output, { len: req.length });
      assert.deepEqual(lines, [`stdout:got: ${req}`, 'stdout:']);
    });

    it('bash: a background job holding stdout does not block the result', async () => {
      const t = Date.now();
      const res = await runner.run(request('bash', 'sleep 100 &\necho \'"done"\'\n', { limits: { ...limits, timeoutMs: 5000 } }));
      assert.equal(res.output, 'done');
      assert.ok(Date.now() - t < 3000);
    });

    it('bash: no stdout is null, a non-JSON last line is a protocol error', async () => {
      assert.equal((await runner.run(request('bash', 'true\n'))).output, null);
      await rejectsWith(runner.run(request('bash', 'echo not json\n')), 'protocol');
    });

    it('protocol errors: no main, no default export, non-JSON return', async () => {
      await rejectsWith(runner.run(request('python', 'x = 1\n')), 'protocol');
      await rejectsWith(runner.run(request('javascript', 'export const x = 1;\n')), 'protocol');
      const e = await rejectsWith(runner.run(request('python', 'def main(i, a):\n    return float("nan")\n')), 'protocol');
      assert.match(e.message, /not JSON/);
    });

    it('an exception is an exit error quoting stderr', async () => {
      const e = await rejectsWith(runner.run(request('python', 'def main(i, a):\n    raise ValueError("boom 42")\n')), 'exit');
      assert.equal(e.exitCode, 1);
      assert.match(e.message, /ValueError: boom 42/);
      const j = await rejectsWith(runner.run(request('javascript', 'export default async () => { throw new Error("js boom"); };\n')), 'exit');
      assert.match(j.message, /js boom/);
      const b = await rejectsWith(runner.run(request('bash', 'echo bad >&2\nexit 3\n')), 'exit');
      assert.equal(b.exitCode, 3);
      assert.match(b.message, /bad/);
    });
  });

  describe('io', () => {
    it('streams stdout and stderr line by line, live', async () => {
      const logs: Array<{ stream: string; line: string; at: number }> = [];
      const code = [
        'import sys, time',
        'def main(i, a):',
        '    print("one")',
        '    print("two", file=sys.stderr)',
        '    sys.stdout.write("three\\nfour")',
        '    sys.stdout.flush()',
        '    time.sleep(1.5)',
        '    print(" end")',
        '    return 0',
      ].join('\n');
      const res = await runner.run(request('python', code, { onLog: (stream, line) => logs.push({ stream, line, at: Date.now() }) }));
      const done = Date.now();
      assert.equal(res.output, 0);
      assert.deepEqual(
        logs.filter((l) => l.stream === 'stdout').map((l) => l.line),
        ['one', 'three', 'four end'],
      );
      assert.deepEqual(logs.filter((l) => l.stream === 'stderr').map((l) => l.line), ['two']);
      const first = logs[0];
      assert.ok(first && done - first.at >= 1000, 'the first line arrived before the script finished');
    });

    it('bash stdout streams live too (one line late)', async () => {
      const logs: Array<{ line: string; at: number }> = [];
      const res = await runner.run(request('bash', 'echo a\necho b\nsleep 1.5\necho 1\n', { onLog: (_s, line) => logs.push({ line, at: Date.now() }) }));
      const done = Date.now();
      assert.equal(res.output, 1);
      assert.deepEqual(logs.map((l) => l.line), ['a', 'b']);
      assert.ok(done - logs[0]!.at >= 1000, 'the first line arrived before the script finished');
    });

    it('returns the files written to /work/output', async () => {
      const code = [
        'import os',
        'def main(i, a):',
        '    os.makedirs("/work/output/sub", exist_ok=True)',
        '    open("/work/output/a.txt", "w").write("hello")',
        '    open("/work/output/sub/b.bin", "wb").write(bytes(range(256)))',
        '    return "ok"',
      ].join('\n');
      const res = await runner.run(request('python', code));
      const files = Object.fromEntries(res.files.map((f) => [f.name, f.data]));
      assert.deepEqual(Object.keys(files).sort(), ['a.txt', 'sub/b.bin']);
      assert.equal(files['a.txt']?.toString(), 'hello');
      assert.deepEqual(files['sub/b.bin'], Buffer.from(Array.from({ length: 256 }, (_, i) => i)));
    });

    it('env vars (secrets) are visible to the script', async () => {
      const env = { API_TOKEN: 's3cr3t value', OTHER: 'x' };
      const py = await runner.run(request('python', 'import os\ndef main(i, a):\n    return os.environ["API_TOKEN"]\n', { env }));
      assert.equal(py.output, 's3cr3t value');
      const js = await runner.run(request('javascript', 'export default async () => process.env.OTHER;\n', { env }));
      assert.equal(js.output, 'x');
      const sh = await runner.run(request('bash', 'echo "\\"$API_TOKEN\\""\n', { env }));
      assert.equal(sh.output, 's3cr3t value');
      await rejectsWith(runner.run(request('bash', 'echo 1', { env: { 'BAD=NAME': 'x' } })), 'protocol');
      await rejectsWith(runner.run(request('bash', 'echo 1', { env: { OK: 'nul\0byte' } })), 'protocol');
    });
  });

  describe('isolation', () => {
    let server: net.Server;
    let port: number;
    before(async () => {
      server = net.createServer((socket) => socket.end('hello from host\n'));
      await new Promise<void>((resolve) => server.listen(0, '0.0.0.0', resolve));
      port = (server.address() as net.AddressInfo).port;
    });
    after(() => new Promise<void>((resolve) => server.close(() => resolve())));

    const connect = (host: string, p: number) =>
      [
        'import socket',
        'def main(i, a):',
        '    try:',
        `        s = socket.create_connection(("${host}", ${p}), timeout=3)`,
        '        data = s.recv(100).decode()',
        '        return {"connected": True, "data": data}',
        '    except OSError as e:',
        '        return {"connected": False, "error": str(e)}',
      ].join('\n');

    it('restricted: no network (host listener unreachable, only loopback)', async () => {
      const res = await runner.run(request('python', connect(gateway, port)));
      assert.equal((res.output as { connected: boolean }).connected, false, JSON.stringify(res.output));
      const ifaces = await runner.run(request('bash', 'echo "\\"$(ls /sys/class/net | tr "\\n" " ")\\""\n'));
      assert.equal(String(ifaces.output).trim(), 'lo');
    });

    it('trusted: the network is there (host listener reachable over the bridge)', async () => {
      const res = await runner.run(request('python', connect(gateway, port), { trust: 'trusted' }));
      assert.deepEqual(res.output, { connected: true, data: 'hello from host\n' });
    });

    it('runs as uid 10001, no capabilities, no_new_privs', async () => {
      const code = [
        'import os',
        'def main(i, a):',
        '    status = dict(l.split(":\\t", 1) for l in open("/proc/self/status").read().splitlines() if ":\\t" in l)',
        '    return {"uid": os.getuid(), "gid": os.getgid(), "CapEff": status["CapEff"].strip(), "CapPrm": status["CapPrm"].strip(),',
        '            "CapBnd": status["CapBnd"].strip(), "NoNewPrivs": status["NoNewPrivs"].strip()}',
      ].join('\n');
      const res = await runner.run(request('python', code));
      assert.deepEqual(res.output, {
        uid: 10001,
        gid: 10001,
        CapEff: '0000000000000000',
        CapPrm: '0000000000000000',
        CapBnd: '0000000000000000',
        NoNewPrivs: '1',
      });
    });

    it('has no Docker socket and a read-only root; /work and /tmp are writable', async () => {
      const code = [
        'import os',
        'def main(i, a):',
        '    out = {"sock": os.path.exists("/var/run/docker.sock") or os.path.exists("/run/docker.sock")}',
        '    for path in ["/etc/piper-test", "/usr/piper-test", "/work/x", "/tmp/x"]:',
        '        try:',
        '            open(path, "w").write("x")',
        '            out[path] = "written"',
        '        except OSError as e:',
        '            out[path] = e.strerror',
        '    return out',
      ].join('\n');
      const res = await runner.run(request('python', code));
      assert.deepEqual(res.output, {
        sock: false,
        '/etc/piper-test': 'Read-only file system',
        '/usr/piper-test': 'Read-only file system',
        '/work/x': 'written',
        '/tmp/x': 'written',
      });
    });

    it('the container config holds no code, input or secrets', async () => {
      const seen: string[] = [];
      const code = 'import time\ndef main(i, a):\n    time.sleep(1)\n    return 1\n';
      const p = runner.run(request('python', code, { env: { TOKEN: 'very-secret' }, input: 'in-put' }));
      await new Promise((r) => setTimeout(r, 500));
      for (const c of await labelled()) {
        const info = await docker.getContainer(c.Id).inspect().catch(() => undefined); // may be being removed
        if (info) seen.push(JSON.stringify(info));
      }
      await p;
      assert.ok(seen.length > 0);
      for (const text of seen) {
        assert.ok(!text.includes('very-secret') && !text.includes('in-put') && !text.includes('time.sleep'));
        const info = JSON.parse(text) as Dockerode.ContainerInspectInfo;
        assert.equal(info.HostConfig.ReadonlyRootfs, true);
        assert.deepEqual(info.HostConfig.CapDrop, ['ALL']);
        assert.deepEqual(info.HostConfig.Binds ?? [], []);
        assert.deepEqual(info.Mounts, []);
        assert.equal(info.Config.User, '10001:10001');
      }
    });
  });

  describe('limits', () => {
    it('a fork bomb fails only that call; the runner keeps working', async () => {
      const bomb = request('bash', 'bomb() { bomb | bomb & }; bomb\nwait\n', { limits: { ...limits, pids: 32, timeoutMs: 4000 } });
      // Held to 32 processes, a bash bomb either fails (time, memory) or collapses on its own once
      // forks fail and exits; either way it ends within its limit and harms nothing else.
      const started = Date.now();
      await runner.run(bomb).catch((error: unknown) => assert.ok(error instanceof ScriptError, String(error)));
      assert.ok(Date.now() - started < 4000 + 3000, `the bomb was contained in ${Date.now() - started} ms`);
      const py = request('python', 'import os\ndef main(i, a):\n    while True: os.fork()\n', { limits: { ...limits, pids: 32, timeoutMs: 4000 } });
      await rejectsWith(runner.run(py), 'timeout', 'exit', 'memory');
      assert.equal((await runner.run(request('python', 'def main(i, a):\n    return "alive"\n'))).output, 'alive');
    });

    it('a memory bomb is a memory error', async () => {
      const code = 'def main(i, a):\n    xs = []\n    while True:\n        xs.append(bytearray(8 * 1024 * 1024))\n';
      const e = await rejectsWith(runner.run(request('python', code, { limits: { ...limits, memoryMb: 64 } })), 'memory');
      assert.match(e.message, /memory/);
      const js = 'export default async () => { const xs = []; for (;;) xs.push(Buffer.alloc(8 * 1024 * 1024, 1)); };\n';
      await rejectsWith(runner.run(request('javascript', js, { limits: { ...limits, memoryMb: 64 } })), 'memory');
      // An allocation the interpreter refuses (MemoryError) is a memory error too.
      await rejectsWith(runner.run(request('python', 'def main(i, a):\n    return len(bytearray(10**12))\n')), 'memory');
    });

    it('a timeout kills and removes the container within the limit + ~2 s', async () => {
      const started = Date.now();
      const e = await rejectsWith(runner.run(request('python', 'def main(i, a):\n    while True: pass\n', { limits: { ...limits, timeoutMs: 1500 } })), 'timeout');
      const elapsed = Date.now() - started;
      assert.match(e.message, /1500 ms/);
      assert.ok(elapsed < 1500 + 2000 + 1000, `took ${elapsed} ms`); // + up to 1 s to create a cold container
      const bash = await rejectsWith(runner.run(request('bash', 'sleep 30\n', { limits: { ...limits, timeoutMs: 1000 } })), 'timeout');
      assert.equal(bash.code, 'timeout');
    });

    it('abort via signal kills and removes the container', async () => {
      const own = new ContainerRunner({ labels: { ...labels, 'piper.abort': '1' }, warm: 0 });
      const controller = new AbortController();
      let started = false;
      const p = own.run(request('python', 'import time\ndef main(i, a):\n    print("started", flush=True)\n    time.sleep(30)\n', {
        signal: controller.signal,
        onLog: () => {
          started = true;
          controller.abort();
        },
      }));
      const t = Date.now();
      await rejectsWith(p, 'canceled');
      assert.ok(started);
      assert.ok(Date.now() - t < 5000);
      assert.deepEqual(await labelled('piper.abort=1'), []);
      await rejectsWith(own.run(request('python', 'def main(i, a): return 1', { signal: AbortSignal.abort() })), 'canceled');
    });
  });

  describe('lifecycle', () => {
    it('leaves no container behind after 30 runs (warm pool on), and sweep removes leftovers', async () => {
      const own = new ContainerRunner({ labels: { ...labels, 'piper.many': '1' }, warm: 2 });
      const languages = ['python', 'javascript', 'bash'] as const;
      const codes = { python: 'def main(i, a): return i["n"]', javascript: 'export default async (i) => i.n;', bash: 'echo 2' };
      const runs = Array.from({ length: 30 }, (_, i) => languages[i % 3]!);
      // 3 at a time, with a few failures mixed in.
      for (let i = 0; i < runs.length; i += 3) {
        const batch = runs.slice(i, i + 3).map((lang) => own.run(request(lang, codes[lang])));
        for (const r of await Promise.all(batch)) assert.equal(r.output, 2);
      }
      await rejectsWith(own.run(request('bash', 'exit 1')), 'exit');
      // close() removes the warm containers and waits for the background removals.
      await own.close();
      assert.deepEqual(await labelled('piper.many=1'), []);

      // A leftover of a crashed worker: sweep removes it.
      const leftover = await docker.createContainer({ Image: DEFAULT_SCRIPT_IMAGE, Cmd: ['true'], Labels: { ...labels, 'piper.many': '1', 'piper.script': '1' } });
      assert.equal(await own.sweep(), 1);
      await assert.rejects(leftover.inspect());
    });

    it('a warm container idle for too long is replaced, not used', async () => {
      const own = new ContainerRunner({ labels: { ...labels, 'piper.stale': '1' }, warm: 1, warmMaxIdleMs: 1 });
      await own.prewarm({ trust: 'restricted', limits });
      const [stale] = await labelled('piper.stale=1');
      await new Promise((r) => setTimeout(r, 20));
      assert.equal((await own.run(request('bash', 'echo 7'))).output, 7);
      await own.close();
      assert.ok(stale);
      await assert.rejects(docker.getContainer(stale.Id).inspect());
      assert.deepEqual(await labelled('piper.stale=1'), []);
    });

    it('sweep() keeps the containers the runner owns', async () => {
      const own = new ContainerRunner({ labels: { ...labels, 'piper.owned': '1' }, warm: 1 });
      await own.prewarm({ trust: 'restricted', limits });
      assert.equal((await labelled('piper.owned=1')).length, 1);
      assert.equal(await own.sweep(), 0);
      assert.equal((await own.run(request('bash', 'echo 5'))).output, 5);
      await own.close();
      assert.deepEqual(await labelled('piper.owned=1'), []);
    });
  });
});
