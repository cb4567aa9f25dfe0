import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { startTestServer, type TestServer } from '../testing/harness.js';

describe('the web UI on the API port', () => {
  let server: TestServer;
  const uiDir = fs.mkdtempSync(path.join(os.tmpdir(), 'piper-ui-'));
  before(async () => {
    fs.mkdirSync(path.join(uiDir, 'assets'));
    fs.writeFileSync(path.join(uiDir, 'index.html'), '<!doctype html><div id="root"></div>');
    fs.writeFileSync(path.join(uiDir, 'assets', 'index-abc123.js'), 'console.log("piper")');
    fs.writeFileSync(path.join(path.dirname(uiDir), 'outside-ui.txt'), 'secret');
    server = await startTestServer({ uiDir });
  });
  after(async () => {
    await server?.close();
    fs.rmSync(uiDir, { recursive: true, force: true });
    fs.rmSync(path.join(path.dirname(uiDir), 'outside-ui.txt'), { force: true });
  });

  it('answers index.html for every page path, never cached', async () => {
    for (const page of ['/', '/login', '/manager/pipelines/5b0c1a52-0a51-4a63-8d5f-7bb3b8f0d3c1', '/client/runs/x?y=1']) {
      const response = await fetch(server.url + page);
      assert.equal(response.status, 200, page);
      assert.match(response.headers.get('content-type')!, /text\/html/);
      assert.equal(response.headers.get('cache-control'), 'no-cache');
      assert.match(await response.text(), /id="root"/);
    }
  });

  it('serves hashed assets for good, and a missing asset as 404 rather than the page', async () => {
    const asset = await fetch(`${server.url}/assets/index-abc123.js`);
    assert.equal(asset.status, 200);
    assert.match(asset.headers.get('content-type')!, /javascript/);
    assert.match(asset.headers.get('cache-control')!, /immutable/);
    assert.equal(await asset.text(), 'console.log("piper")');
    assert.equal((await fetch(`${server.url}/assets/index-old.js`)).status, 404);
    const head = await fetch(`${server.url}/assets/index-abc123.js`, { method: 'HEAD' });
    assert.equal(head.status, 200);
    assert.equal(head.headers.get('content-length'), String('console.log("piper")'.length));
  });

  it('leaves the API, webhooks and health to the server, and nothing outside the folder is reachable', async () => {
    const api = await server.request('GET', '/api/nothing-here');
    assert.equal(api.status, 404);
    assert.equal(api.body.error.code, 'not_found');
    assert.equal((await server.request('GET', '/health')).body.status, 'ok');
    assert.equal((await server.request('GET', '/api/users')).status, 401);
    for (const escape of ['/..%2Foutside-ui.txt', '/%2e%2e/outside-ui.txt', '/assets/..%2F..%2Foutside-ui.txt']) {
      const response = await fetch(server.url + escape);
      assert.ok(!(await response.text()).includes('secret'), escape);
    }
    assert.equal((await fetch(`${server.url}/api/users`, { method: 'POST' })).status, 401);
  });
});
