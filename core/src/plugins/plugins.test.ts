/** First-party plugins load at start, are listed with their UI, and can be disabled per org. */
import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { pino } from 'pino';
import { NodeTypeRegistry } from '../node-types/registry.js';
import { startTestServer, type TestServer } from '../testing/harness.js';
import { node, PipelineDriver } from '../testing/pipelines.js';
import { loadBundledPlugins } from './bundled.js';

let server: TestServer;
let admin: string;

before(async () => {
  server = await startTestServer();
  admin = await server.login('admin@acme.test');
});
after(() => server?.close());

const FIRST_PARTY = ['@piper/plugin-email', '@piper/plugin-files', '@piper/plugin-postgres'];

describe('first-party plugins', () => {
  it('are loaded at start: listed, their node types offered, the files plugin with its UI', async () => {
    const plugins = (await server.request('GET', '/api/plugins', { token: admin })).body;
    for (const name of FIRST_PARTY) {
      const plugin = plugins.find((p: { package: string }) => p.package === name);
      assert.ok(plugin, `${name} is listed`);
      assert.equal(plugin.status, 'installed', plugin.error);
      assert.equal(plugin.source, 'builtin');
      assert.ok(plugin.nodeTypes.length > 0);
    }
    const types = (await server.request('GET', '/api/node-types', { token: admin })).body;
    for (const type of ['postgres.query', 'email.send', 'files.csvParse']) assert.ok(types.some((t: { type: string }) => t.type === type), type);
    const files = types.find((t: { type: string }) => t.type === 'files.csvParse');
    assert.equal(files.plugin.ui.name, 'piper_plugin_files');
    const entry = await fetch(server.url + files.plugin.ui.remoteEntry);
    assert.equal(entry.status, 200);
    assert.match(entry.headers.get('content-type') ?? '', /javascript/);
    assert.equal((await fetch(`${server.url}/plugin-ui/${encodeURIComponent('@piper/plugin-files')}/0.0.0/remoteEntry.js`)).status, 404);
    assert.equal((await fetch(`${files.plugin.ui.remoteEntry.replace('remoteEntry.js', '..%2F..%2Fpackage.json')}`.replace(/^/, server.url))).status, 404, 'no path outside the UI folder');
  });

  it('can be disabled for one org: its node types leave that org’s editor and validation, not the other org’s', async () => {
    const plugins = (await server.request('GET', '/api/plugins', { token: admin })).body;
    const files = plugins.find((p: { package: string }) => p.package === '@piper/plugin-files');
    const driver = new PipelineDriver(server, admin);
    const pipelineId = await driver.create({ nodes: [node('parse', 'files.jsonParse', { text: '{"a":1}' })], edges: [] });

    const disabled = await server.request('PATCH', `/api/plugins/${files.id}`, { token: admin, body: { enabled: false } });
    assert.equal(disabled.status, 200, JSON.stringify(disabled.body));
    assert.equal(disabled.body.enabled, false);
    const types = (await server.request('GET', '/api/node-types', { token: admin })).body;
    assert.ok(!types.some((t: { type: string }) => t.type.startsWith('files.')));
    const validation = (await server.request('POST', `/api/pipelines/${pipelineId}/validate`, { token: admin })).body;
    assert.deepEqual(validation.errors.map((e: { code: string }) => e.code), ['unknown_version']);
    const beta = await server.login('admin@beta.test');
    assert.ok((await server.request('GET', '/api/node-types', { token: beta })).body.some((t: { type: string }) => t.type.startsWith('files.')));

    await server.request('PATCH', `/api/plugins/${files.id}`, { token: admin, body: { enabled: true } });
    assert.equal((await server.request('POST', `/api/pipelines/${pipelineId}/validate`, { token: admin })).body.valid, true);
  });

  it('reports a plugin that fails to load, and loads the others', async () => {
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'piper-plugins-'));
    try {
      const write = async (name: string, files: Record<string, string>) => {
        await fs.mkdir(path.join(dir, name), { recursive: true });
        for (const [file, text] of Object.entries(files)) await fs.writeFile(path.join(dir, name, file), text);
      };
      const manifest = (name: string) => JSON.stringify({ name, version: '1.0.0', type: 'module', piper: { plugin: 'index.js' } });
      await write('broken', { 'package.json': manifest('broken'), 'index.js': 'export default {{ syntax error' });
      await write('bad-schema', { 'package.json': manifest('bad-schema'), 'index.js': "export default { id: 'bad', version: '1.0.0', nodes: [{ type: 'bad.node', version: '1.0.0', name: 'Bad', args: { type: 'nope' }, handler() {} }] };" });
      await write('clash', { 'package.json': manifest('clash'), 'index.js': "export default { id: 'clash', version: '1.0.0', nodes: [{ type: 'core.set', version: '1.0.0', name: 'Mine', args: { type: 'object' }, handler() {} }] };" });
      await write('good', { 'package.json': manifest('good'), 'index.js': "export default { id: 'good', version: '1.0.0', nodes: [{ type: 'good.node', version: '1.0.0', name: 'Good', args: { type: 'object' }, handler: () => 1 }] };" });
      const registry = new NodeTypeRegistry();
      registry.register((await import('@piper/nodes')).default);
      const loaded = await loadBundledPlugins(registry, pino({ level: 'silent' }), dir);
      const byName = Object.fromEntries(loaded.map((plugin) => [plugin.package, plugin]));
      assert.equal(byName.broken!.status, 'failed');
      assert.match(byName['bad-schema']!.error!, /args schema of bad.node is invalid/);
      assert.match(byName.clash!.error!, /core.set@1.0.0 is already provided/);
      assert.equal(byName.good!.status, 'installed');
      assert.ok(registry.get('good.node', '1.0.0'));
      assert.ok(!registry.get('bad.node', '1.0.0'));
    } finally {
      await fs.rm(dir, { recursive: true, force: true });
    }
  });
});
