/**
 * Plugins installed at run time: from an npm registry (a local one started here, which the
 * real npm client fetches from) and by upload; several versions side by side,
 * pinned versions kept, removal refused while used, broken packages refused, and another
 * instance loading what one installed.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { after, before, describe, it } from 'node:test';
import { startTestServer, type TestServer } from '../testing/harness.js';
import { TestNpmRegistry } from '../testing/npm-registry.js';
import { node, PipelineDriver } from '../testing/pipelines.js';

const run = promisify(execFile);
const NAME = '@acme/piper-greet';
let work: string;
let registry: TestNpmRegistry;
let server: TestServer;
let other: TestServer;
let admin: string;

/** Packs a plugin package with the real npm. */
async function pack(version: string, source: string): Promise<Buffer> {
  const dir = path.join(work, `greet-${version}`);
  await fs.mkdir(dir, { recursive: true });
  await fs.writeFile(path.join(dir, 'package.json'), JSON.stringify({ name: NAME, version, type: 'module', piper: { plugin: 'index.js' }, peerDependencies: { '@piper/sdk': '*' } }));
  await fs.writeFile(path.join(dir, 'index.js'), source);
  const { stdout } = await run('npm', ['pack', '--json', '--pack-destination', work], { cwd: dir });
  return fs.readFile(path.join(work, JSON.parse(stdout)[0].filename));
}

const plugin = (version: string, nodeVersion: string) => `
import { defineNode, definePlugin } from '@piper/sdk';
export default definePlugin({
  id: '${NAME}',
  version: '${version}',
  nodes: [defineNode({
    type: 'greet.hello', version: '${nodeVersion}', name: 'Hello', category: 'Fun',
    args: { type: 'object', properties: { name: { type: 'string', default: 'world' } } },
    handler: (input, args) => ({ greeting: 'Hello ' + args.name + ' from ${nodeVersion}' }),
  })],
});`;

before(async () => {
  work = await fs.mkdtemp(path.join(os.tmpdir(), 'piper-plugin-install-'));
  registry = await new TestNpmRegistry().start();
  registry.add({ name: NAME, version: '1.0.0' }, await pack('1.0.0', plugin('1.0.0', '1.0.0')));
  server = await startTestServer({ npmRegistry: registry.url });
  other = await startTestServer({ npmRegistry: registry.url, databaseUrl: server.config.databaseUrl, masterKey: server.config.masterKey });
  admin = await server.login('admin@acme.test');
});
after(async () => {
  await other?.close();
  await server?.close();
  registry?.close();
  await fs.rm(work, { recursive: true, force: true });
});

async function upload(data: Buffer, token = admin) {
  const form = new FormData();
  form.set('file', new Blob([data]), 'plugin.tgz');
  const response = await fetch(`${server.url}/api/plugins`, { method: 'POST', headers: { authorization: `Bearer ${token}` }, body: form });
  return { status: response.status, body: (await response.json()) as any };
}

describe('installing plugins', () => {
  let pinnedPipeline: string;

  it('installs from the registry without a restart; the node type runs, on this instance and another', async () => {
    const installed = await server.request('POST', '/api/plugins', { token: admin, body: { package: NAME, version: '1.0.0' } });
    assert.equal(installed.status, 201, JSON.stringify(installed.body));
    assert.deepEqual([installed.body.package, installed.body.version, installed.body.source, installed.body.status], [NAME, '1.0.0', 'registry', 'installed']);
    const types = (await server.request('GET', '/api/node-types', { token: admin })).body;
    assert.ok(types.some((t: { type: string; version: string }) => t.type === 'greet.hello' && t.version === '1.0.0'));

    const driver = new PipelineDriver(server, admin);
    pinnedPipeline = await driver.create({ nodes: [node('hello', 'greet.hello', { name: 'Ann' })], edges: [] });
    assert.equal((await server.request('POST', `/api/pipelines/${pinnedPipeline}/versions`, { token: admin })).status, 201);
    const result = await driver.waitFor(await driver.start(pinnedPipeline, { mode: 'production' }));
    assert.equal(result.status, 'succeeded', JSON.stringify(result.error));
    assert.deepEqual(result.output, { greeting: 'Hello Ann from 1.0.0' });

    const deadline = Date.now() + 5000;
    while (!other.services.registry.get('greet.hello', '1.0.0') && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));
    assert.ok(other.services.registry.get('greet.hello', '1.0.0'), 'the other instance loaded it without a restart');
  });

  it('installs a second version beside the first by upload; the pinned pipeline keeps running its version', async () => {
    const second = await upload(await pack('2.0.0', plugin('2.0.0', '2.0.0')));
    assert.equal(second.status, 201, JSON.stringify(second.body));
    assert.equal(second.body.source, 'upload');
    const versions = (await server.request('GET', '/api/node-types', { token: admin })).body.filter((t: { type: string }) => t.type === 'greet.hello').map((t: { version: string }) => t.version);
    assert.deepEqual(versions.sort(), ['1.0.0', '2.0.0']);

    const driver = new PipelineDriver(server, admin);
    const pinned = await driver.waitFor(await driver.start(pinnedPipeline, { mode: 'production' }));
    assert.deepEqual(pinned.output, { greeting: 'Hello Ann from 1.0.0' });
    const fresh = await driver.run({ nodes: [node('hello', 'greet.hello', { name: 'Bob' })], edges: [] });
    assert.deepEqual(fresh.output, { greeting: 'Hello Bob from 2.0.0' });
  });

  it('refuses to remove a version a published pipeline uses, and removes one that is not used', async () => {
    const plugins = (await server.request('GET', '/api/plugins', { token: admin })).body.filter((p: { package: string }) => p.package === NAME);
    const v1 = plugins.find((p: { version: string }) => p.version === '1.0.0');
    // Another org publishes a pipeline on 1.0.0 as well: it counts, but is never named to this admin.
    const betaAdmin = await server.login('admin@beta.test');
    const betaPipeline = await new PipelineDriver(server, betaAdmin).create({ nodes: [node('hello', 'greet.hello', { name: 'Eve' }, { version: '1.0.0' })], edges: [] }, { name: 'Beta secret pipeline' });
    assert.equal((await server.request('POST', `/api/pipelines/${betaPipeline}/versions`, { token: betaAdmin })).status, 201);
    const refused = await server.request('DELETE', `/api/plugins/${v1.id}`, { token: admin });
    assert.equal(refused.status, 409, JSON.stringify(refused.body));
    assert.deepEqual(refused.body.error.details.pipelines.map((p: { id: string }) => p.id), [pinnedPipeline]);
    assert.equal(refused.body.error.details.otherOrgsPipelines, 1);
    assert.ok(!JSON.stringify(refused.body).includes('Beta secret pipeline'));

    await server.request('DELETE', `/api/pipelines/${pinnedPipeline}`, { token: admin });
    await server.request('DELETE', `/api/pipelines/${betaPipeline}`, { token: betaAdmin });
    assert.equal((await server.request('DELETE', `/api/plugins/${v1.id}`, { token: admin })).status, 204);
    assert.ok(!server.services.registry.get('greet.hello', '1.0.0'));
    assert.ok(server.services.registry.get('greet.hello', '2.0.0'));
  });

  it('refuses broken packages with their error and keeps serving', async () => {
    const syntax = await upload(await pack('3.0.0', 'export default {{ not javascript'));
    assert.equal(syntax.status, 400);
    assert.match(syntax.body.error.message, /cannot be loaded/);
    const schema = await upload(await pack('3.0.1', plugin('3.0.1', '3.0.1').replace("args: { type: 'object'", "args: { type: 'no-such-type'")));
    assert.equal(schema.status, 400);
    assert.match(schema.body.error.message, /args schema of greet.hello is invalid/);
    const clash = await upload(await pack('3.0.2', plugin('3.0.2', '3.0.2').replace("'greet.hello'", "'core.set'").replace(`id: '${NAME}'`, "id: 'thief'").replace("version: '3.0.2', name", "version: '1.0.0', name")));
    assert.equal(clash.status, 400);
    assert.match(clash.body.error.message, /already provided/);
    const notPlugin = await upload(Buffer.from('not a tarball at all'));
    assert.equal(notPlugin.status, 400);
    assert.equal((await server.request('POST', '/api/plugins', { token: admin, body: { package: '@acme/no-such-plugin' } })).status, 400);
    assert.equal((await server.request('POST', '/api/plugins', { token: admin, body: { package: 'Not A Name!' } })).status, 400);
    assert.equal((await fetch(`${server.url}/health`)).status, 200);
    const listed = (await server.request('GET', '/api/plugins', { token: admin })).body.map((p: { version: string }) => p.version);
    assert.ok(!listed.includes('3.0.0') && !listed.includes('3.0.1'));
  });
});
