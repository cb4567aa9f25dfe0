/** The plugin inside a real Piper server: files written by one node, read by the next, downloadable. */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startTestServer, type TestServer } from '../../../core/src/testing/harness.js';
import { edge, node, nodeOf, PipelineDriver } from '../../../core/src/testing/pipelines.js';
import plugin from './index.js';

let server: TestServer;
let driver: PipelineDriver;

before(async () => {
  server = await startTestServer();
  // First-party plugins are always present once the server loads them; until then, register this one.
  if (!server.services.registry.latest('files.csvParse')) server.services.registry.register(plugin);
  driver = new PipelineDriver(server, await server.login('admin@acme.test'));
});
after(() => server?.close());

describe('@piper/plugin-files in a Piper server', () => {
  it('parses CSV, builds a CSV file clients can download, and reads it back in the same run', async () => {
    const run = await driver.run(
      {
        nodes: [
          node('parse', 'files.csvParse', { text: '{{ $input.csv }}', delimiter: 'auto', castNumbers: true }),
          node('build', 'files.csvBuild', { rows: '{{ rows.filter(r => r.total > 10) }}', columns: ['name', 'total'], filename: 'big-{{ $run.input.day }}' }),
          node('reread', 'files.csvParse', { file: '{{ file }}' }),
          node('json', 'files.jsonBuild', { data: '{{ $nodes.reread.rows }}', filename: 'big.json' }),
        ],
        edges: [edge('parse', 'build'), edge('build', 'reread'), edge('reread', 'json')],
      },
      { csv: 'name;total\nAnn;42\n"Bob; Jr";7\nCid;11\n', day: '2026-03-01' },
    );
    assert.equal(run.status, 'succeeded', JSON.stringify(run.nodes.map((n) => n.error)));
    assert.deepEqual(nodeOf(run, 'parse').output, { rows: [{ name: 'Ann', total: 42 }, { name: 'Bob; Jr', total: 7 }, { name: 'Cid', total: 11 }], rowCount: 3, columns: ['name', 'total'] });
    const built = nodeOf(run, 'build').output as { file: { id: string; name: string; size: number }; rowCount: number };
    assert.equal(built.file.name, 'big-2026-03-01.csv');
    assert.deepEqual(nodeOf(run, 'reread').output, { rows: [{ name: 'Ann', total: '42' }, { name: 'Cid', total: '11' }], rowCount: 2, columns: ['name', 'total'] });

    const download = await server.request('GET', `/api/runs/${run.id}/artifacts/${built.file.id}`, { token: driver.token });
    assert.equal(download.status, 200);
    assert.equal(download.body, 'name,total\r\nAnn,42\r\nCid,11\r\n');
    assert.match(download.headers.get('content-type') ?? '', /^text\/csv/);
    const json = (run.output as { file: { id: string } }).file;
    const downloaded = await server.request('GET', `/api/runs/${run.id}/artifacts/${json.id}`, { token: driver.token });
    assert.deepEqual(downloaded.body, [{ name: 'Ann', total: '42' }, { name: 'Cid', total: '11' }]);
  });

  it('fails a run with the line of a broken CSV', async () => {
    const run = await driver.run({ nodes: [node('parse', 'files.csvParse', { text: 'a,b\n1,2\n3\n' })], edges: [] });
    assert.equal(run.status, 'failed');
    assert.match(nodeOf(run, 'parse').error?.message ?? '', /Invalid Record Length: expect 2, got 1 on line 3/);
  });

  it('serves the node forms with the plugin\'s widget', async () => {
    const types = await server.request('GET', '/api/node-types', { token: driver.token });
    const parse = types.body.find((type: { type: string }) => type.type === 'files.csvParse');
    assert.equal(parse.uiSchema.delimiter['ui:widget'], '@piper/plugin-files/delimiter');
    assert.equal(parse.plugin.id, '@piper/plugin-files');
  });
});
