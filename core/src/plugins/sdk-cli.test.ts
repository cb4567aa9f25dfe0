/**
 * The plugin author's whole path, end to end: `piper-plugin create` → build → publish to a
 * local npm registry → an instance admin installs it on a running Piper → its node type runs
 * in a pipeline → a second version installs beside it, and the pipeline keeps its version.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { after, before, describe, it } from 'node:test';
import { startTestServer, type TestServer } from '../testing/harness.js';
import { TestNpmRegistry } from '../testing/npm-registry.js';
import { node, PipelineDriver } from '../testing/pipelines.js';

const run = promisify(execFile);
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const cli = path.join(root, 'sdk/bin/piper-plugin.js');
const NAME = '@acme/piper-greeter';

let work: string;
let registry: TestNpmRegistry;
let server: TestServer;

before(async () => {
  work = await fs.mkdtemp(path.join(os.tmpdir(), 'piper-sdk-cli-'));
  registry = await new TestNpmRegistry().start();
  server = await startTestServer({ npmRegistry: registry.url });
});
after(async () => {
  await server?.close();
  registry?.close();
  await fs.rm(work, { recursive: true, force: true });
});

const piperPlugin = (args: string[], cwd: string) => run(process.execPath, [cli, ...args], { cwd, timeout: 120_000 });

describe('piper-plugin, from create to a running pipeline', () => {
  it('creates, builds, publishes, installs and runs a plugin, then a second version beside it', async () => {
    await piperPlugin(['create', NAME, 'greeter'], work);
    const dir = path.join(work, 'greeter');
    for (const file of ['package.json', 'src/index.ts', 'src/index.test.ts', 'README.md']) await fs.access(path.join(dir, file));
    // What `npm install` would give it (this machine reaches no public registry): the workspace's packages.
    await fs.symlink(path.join(root, 'node_modules'), path.join(dir, 'node_modules'), 'dir');
    await fs.writeFile(path.join(dir, '.npmrc'), `registry=${registry.url}/\n${registry.url.replace(/^http:/, '')}/:_authToken=test-token\n`);

    await piperPlugin(['build'], dir);
    const { NODE_TEST_CONTEXT: _nested, ...env } = process.env;
    const tests = await run(process.execPath, ['--test', '--test-reporter=tap', 'dist/'], { cwd: dir, env });
    assert.match(tests.stdout, /# pass 1/);
    const validated = await piperPlugin(['validate'], dir);
    assert.match(validated.stdout, /valid/);
    await piperPlugin(['publish'], dir);
    assert.ok(registry.tarballs.size === 1, 'published to the local registry');

    const admin = await server.login('admin@acme.test');
    const installed = await server.request('POST', '/api/plugins', { token: admin, body: { package: NAME } });
    assert.equal(installed.status, 201, JSON.stringify(installed.body));
    const types = (await server.request('GET', '/api/node-types', { token: admin })).body;
    const greet = types.find((t: { type: string }) => t.type === 'piperGreeter.greet');
    assert.ok(greet, 'the node type is offered');
    const driver = new PipelineDriver(server, admin);
    const pipelineId = await driver.create({ nodes: [node('greet', greet.type, { name: 'Ann' })], edges: [] });
    assert.equal((await server.request('POST', `/api/pipelines/${pipelineId}/versions`, { token: admin })).status, 201);
    const first = await driver.waitFor(await driver.start(pipelineId, { mode: 'production', input: { n: 1 } }));
    assert.equal(first.status, 'succeeded', JSON.stringify(first.error));
    assert.deepEqual(first.output, { greeting: 'Hello, Ann!', input: { n: 1 } });

    // Version 2 of the node says it differently; the plugin is published as 0.2.0.
    const source = path.join(dir, 'src/index.ts');
    await fs.writeFile(source, (await fs.readFile(source, 'utf8')).replace("version: '1.0.0'", "version: '2.0.0'").replace('`Hello, ${args.name}!`', '`Hi, ${args.name}!`').replace("version: '0.1.0'", "version: '0.2.0'"));
    const manifest = JSON.parse(await fs.readFile(path.join(dir, 'package.json'), 'utf8'));
    await fs.writeFile(path.join(dir, 'package.json'), JSON.stringify({ ...manifest, version: '0.2.0' }, null, 2));
    await fs.rm(path.join(dir, 'src/index.test.ts'));
    await piperPlugin(['build'], dir);
    await piperPlugin(['publish'], dir);
    const second = await server.request('POST', '/api/plugins', { token: admin, body: { package: NAME, version: '0.2.0' } });
    assert.equal(second.status, 201, JSON.stringify(second.body));
    const versions = (await server.request('GET', '/api/node-types', { token: admin })).body.filter((t: { type: string }) => t.type === greet.type).map((t: { version: string }) => t.version);
    assert.deepEqual(versions.sort(), ['1.0.0', '2.0.0']);

    const pinned = await driver.waitFor(await driver.start(pipelineId, { mode: 'production', input: null }));
    assert.deepEqual(pinned.output, { greeting: 'Hello, Ann!', input: null }, 'the published pipeline keeps version 1.0.0');
    const fresh = await driver.run({ nodes: [node('greet', greet.type, { name: 'Bob' })], edges: [] });
    assert.deepEqual(fresh.output, { greeting: 'Hi, Bob!', input: null });

    // `dev` loads the working copy into the running instance as a prerelease of its version.
    const dev = await piperPlugin(['dev', '--url', server.url, '--token', admin], dir);
    assert.match(dev.stdout, /Loaded @acme\/piper-greeter@0\.2\.0-dev\.\d+/);
  });
});
