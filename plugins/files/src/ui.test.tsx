/**
 * The plugin's UI: its components rendered, and the module federation remote built and loaded
 * the way the Piper UI loads it (init with the host's shared React, then get('./ui')).
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { after, describe, it } from 'node:test';
import * as React from 'react';
import * as ReactDOM from 'react-dom';
import { renderToString } from 'react-dom/server';
import * as JsxRuntime from 'react/jsx-runtime';
import plugin from './index.js';
import ui from '../ui/src/index.js';

const render = (element: React.ReactElement) => renderToString(element);
const { TableViewer } = { TableViewer: ui.viewers['files.csvParse'] };
const { delimiter: DelimiterWidget } = ui.widgets;

describe('the table viewer', () => {
  it('shows object rows under their columns, escaping their text', () => {
    const html = render(<TableViewer value={{ rows: [{ name: '<b>Ann</b>', age: 31, note: null }, { name: 'Bob', age: 4, note: { x: 1 } }], rowCount: 2, columns: ['name', 'age', 'note'] }} />);
    assert.match(html, /2 rows.*3 columns/);
    assert.deepEqual([...html.matchAll(/<th[^>]*scope="col"[^>]*>([^<]*)<\/th>/g)].map((match) => match[1]), ['name', 'age', 'note']);
    assert.ok(html.includes('&lt;b&gt;Ann&lt;/b&gt;') && !html.includes('<b>Ann'));
    assert.ok(html.includes('{&quot;x&quot;:1}'));
    assert.ok(html.includes('—'), 'null is shown as a dash');
  });

  it('shows array rows, and the first page of a long table with a way to see more', () => {
    const rows = Array.from({ length: 450 }, (_, i) => [i, `row ${i}`]);
    const html = render(<TableViewer value={{ rows }} />);
    assert.match(html, /450 rows.*2 columns/);
    assert.equal((html.match(/<tr>/g) ?? []).length, 1 + 200);
    assert.match(html, /Show 200 more of the 250 left/);
  });

  it('shows anything else as JSON', () => {
    assert.match(render(<TableViewer value={{ file: { id: 'x' } }} />), /<pre[^>]*>\{\n {2}&quot;file&quot;/);
  });
});

describe('the delimiter widget', () => {
  it('selects a known delimiter, offers detection only where the node accepts it, and takes any other', () => {
    const base = { id: 'delimiter', onChange: () => undefined };
    const semicolon = render(<DelimiterWidget {...base} value=";" />);
    assert.match(semicolon, /<option value=";" selected="">Semicolon ;<\/option>/);
    assert.ok(!semicolon.includes('value="auto"'));
    assert.match(render(<DelimiterWidget {...base} value="auto" options={{ auto: true }} />), /<option value="auto" selected="">Detect from the first line<\/option>/);
    const other = render(<DelimiterWidget {...base} value="::" />);
    assert.match(other, /<option value="__other__" selected="">Other…<\/option>/);
    assert.match(other, /<input aria-label="Delimiter" maxLength="4" value="::"\/>/);
  });

  it('is what the nodes\' forms ask for', () => {
    const nodes: ReadonlyArray<{ ui?: object }> = plugin.nodes;
    const asked = nodes.flatMap((node) => Object.values(node.ui ?? {}).map((field) => (field as { 'ui:widget'?: string })['ui:widget']));
    const ours = asked.filter((widget): widget is string => typeof widget === 'string' && widget.startsWith(`${plugin.id}/`));
    assert.ok(ours.length > 0);
    for (const widget of ours) assert.ok(widget.slice(plugin.id.length + 1) in ui.widgets, widget);
  });
});

describe('the module federation remote', () => {
  const outDir = mkdtempSync(path.join(os.tmpdir(), 'piper-files-ui-'));
  after(() => rmSync(outDir, { recursive: true, force: true }));

  it('builds remoteEntry.js exposing ./ui, and runs on the host\'s React', async () => {
    const { build } = await import('vite');
    await build({ configFile: fileURLToPath(new URL('../ui/vite.config.ts', import.meta.url)), build: { outDir, emptyOutDir: true }, logLevel: 'silent' });
    const manifest = JSON.parse(readFileSync(path.join(outDir, 'mf-manifest.json'), 'utf8'));
    assert.deepEqual(manifest.exposes.map((expose: { path: string }) => expose.path), ['./ui']);
    for (const name of ['react', 'react/jsx-runtime', 'react-dom']) {
      const shared = manifest.shared.find((entry: { name: string }) => entry.name === name);
      assert.equal(shared?.singleton, true, `${name} is a shared singleton`);
    }

    // The host's React, counted: hooks of the remote's components must run on it, not on a copy.
    let hostHookCalls = 0;
    const hostReact = { ...React, useState: ((initial: unknown) => (hostHookCalls++, React.useState(initial))) as typeof React.useState };
    const offer = (module: object) => ({ '19.3.1': { get: () => () => module, loaded: 1, from: 'piper-ui', version: '19.3.1', scope: ['default'], shareConfig: { singleton: true, requiredVersion: '^19.0.0' } } });
    // Load the remote as the browser does, as ES modules (Node would take .js files outside a package for CommonJS).
    writeFileSync(path.join(outDir, 'package.json'), '{"type":"module"}');
    const container = await import(pathToFileURL(path.join(outDir, 'remoteEntry.js')).href);
    await container.init({ react: offer(hostReact), 'react-dom': offer(ReactDOM), 'react/jsx-runtime': offer(JsxRuntime) });
    const exposed = (await container.get('./ui'))() as { default: typeof ui };
    assert.deepEqual(Object.keys(exposed.default.widgets), ['delimiter']);
    assert.deepEqual(Object.keys(exposed.default.viewers), ['files.csvParse']);
    const html = renderToString(React.createElement(exposed.default.viewers['files.csvParse'], { value: { rows: [{ city: 'Zürich' }], columns: ['city'] } }));
    assert.match(html, /Zürich/);
    assert.ok(hostHookCalls > 0, 'the remote used the host\'s React');
  });
});
