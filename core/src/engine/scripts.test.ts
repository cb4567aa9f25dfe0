/** core.script through the real engine and Docker engine: output, live log lines, files as artifacts, cancel. */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { dockerSkip } from '../testing/docker.js';
import { startTestServer, type TestServer } from '../testing/harness.js';
import { node, nodeOf, PipelineDriver } from '../testing/pipelines.js';

const skip = await dockerSkip('scripts.test.ts');

let server: TestServer;
let driver: PipelineDriver;

before(async () => {
  if (skip) return;
  server = await startTestServer();
  driver = new PipelineDriver(server, await server.login('admin@acme.test'));
});
after(() => server?.close());

const script = (language: string, code: string) => ({ nodes: [node('script', 'core.script', { language, code, factor: 3 })], edges: [] });

describe('core.script in containers', { skip }, () => {
  it('runs Python with the input and args, streams its lines as logs and keeps its files as artifacts', async () => {
    const code = [
      'import sys',
      'def main(input, args):',
      '    print("hello from python")',
      '    print("to stderr", file=sys.stderr)',
      '    with open("/work/output/report.txt", "w") as f:',
      '        f.write("report " + str(input["n"]))',
      '    return {"n": input["n"] * args["factor"]}',
    ].join('\n');
    const run = await driver.run(script('python', code), { n: 14 });
    assert.equal(run.status, 'succeeded', JSON.stringify(run.error));
    assert.deepEqual(run.output, { n: 42 });
    const logs = await server.request('GET', `/api/runs/${run.id}/logs?nodeId=script`, { token: driver.token });
    const lines = logs.body.map((line: { stream: string; line: string }) => `${line.stream}:${line.line}`);
    assert.ok(lines.includes('stdout:hello from python'), JSON.stringify(lines));
    assert.ok(lines.includes('stderr:to stderr'), JSON.stringify(lines));
    const artifact = (nodeOf(run, 'script') as unknown as { artifacts: Array<{ id: string; name: string }> }).artifacts[0]!;
    assert.equal(artifact.name, 'report.txt');
    const file = await server.request('GET', `/api/runs/${run.id}/artifacts/${artifact.id}`, { token: driver.token });
    assert.equal(file.body, 'report 14');
  });

  it('runs JavaScript and Bash by the same protocol', async () => {
    const js = await driver.run(script('javascript', 'export default async (input, args) => ({ sum: input.a + input.b, factor: args.factor })'), { a: 1, b: 2 });
    assert.deepEqual(js.output, { sum: 3, factor: 3 });
    const bash = await driver.run(script('bash', 'request=$(cat); echo "working"; echo "{\\"ok\\": true}"'), {});
    assert.equal(bash.status, 'succeeded', JSON.stringify(bash.error));
    assert.deepEqual(bash.output, { ok: true });
  });

  it('fails the node with the script error', async () => {
    const run = await driver.run(script('python', 'def main(input, args):\n    raise ValueError("bad value")'));
    assert.equal(run.status, 'failed');
    assert.match(nodeOf(run, 'script').error!.message, /bad value/);
  });

  it('cancels a running script and removes its container', async () => {
    const pipelineId = await driver.create(script('python', 'import time\ndef main(input, args):\n    time.sleep(60)'));
    const runId = await driver.start(pipelineId);
    await driver.waitFor(runId, (run) => nodeOf(run, 'script').status === 'running');
    await new Promise((resolve) => setTimeout(resolve, 500));
    const started = Date.now();
    assert.equal((await server.request('POST', `/api/runs/${runId}/cancel`, { token: driver.token })).status, 202);
    const run = await driver.waitFor(runId);
    assert.equal(run.status, 'canceled');
    assert.ok(Date.now() - started < 10_000);
  });

  it("gives the script its node's credential as environment variables and redacts the secret from logs and output", async () => {
    const secret = `script-secret-${Date.now()}`;
    const credential = await server.request('POST', '/api/credentials', {
      token: driver.token,
      body: { name: `script-${Date.now()}`, type: 'core.httpAuth', data: { kind: 'bearer', token: secret } },
    });
    assert.equal(credential.status, 201);
    const code = 'cat > /dev/null; echo "token is $CREDENTIAL_TOKEN"; echo "{\\"token\\": \\"$CREDENTIAL_TOKEN\\", \\"length\\": ${#CREDENTIAL_TOKEN}, \\"kind\\": \\"$CREDENTIAL_KIND\\"}"';
    const graph = { nodes: [node('script', 'core.script', { language: 'bash', code }, { credentialId: credential.body.id })], edges: [] };
    const run = await driver.run(graph);
    assert.equal(run.status, 'succeeded', JSON.stringify(run.error));
    assert.deepEqual(run.output, { token: '********', length: secret.length, kind: 'bearer' });
    const logs = await server.request('GET', `/api/runs/${run.id}/logs`, { token: driver.token });
    assert.ok(logs.body.some((line: { line: string }) => line.line === 'token is ********'), JSON.stringify(logs.body));
    const stored = JSON.stringify(await Promise.all(['runs', 'nodeRuns', 'nodeAttempts', 'runLogs'].map((table) => server.services.db(table).select())));
    assert.ok(!stored.includes(secret), 'the secret is in no run record');
  });

  it("applies the org's default container limits, which a node's args override", async () => {
    const admin = driver.token;
    assert.equal((await server.request('PATCH', '/api/settings', { token: admin, body: { scripts: { memoryMb: 96, pids: 64 } } })).status, 200);
    try {
      // cgroup v2 or v1, whichever the engine runs.
      const read = (v2: string, v1: string) => `$(cat /sys/fs/cgroup/${v2} 2>/dev/null || cat /sys/fs/cgroup/${v1})`;
      const code = `cat > /dev/null; echo "{\\"memory\\": ${read('memory.max', 'memory/memory.limit_in_bytes')}, \\"pids\\": ${read('pids.max', 'pids/pids.max')}}"`;
      const orgDefaults = await driver.run({ nodes: [node('script', 'core.script', { language: 'bash', code })], edges: [] });
      assert.equal(orgDefaults.status, 'succeeded', JSON.stringify(orgDefaults.error));
      assert.deepEqual(orgDefaults.output, { memory: 96 * 1024 * 1024, pids: 64 });
      const overridden = await driver.run({ nodes: [node('script', 'core.script', { language: 'bash', code, memoryMb: 128 })], edges: [] });
      assert.deepEqual(overridden.output, { memory: 128 * 1024 * 1024, pids: 64 });
    } finally {
      await server.request('PATCH', '/api/settings', { token: admin, body: { scripts: { memoryMb: 256, pids: 256 } } });
    }
  });
});
