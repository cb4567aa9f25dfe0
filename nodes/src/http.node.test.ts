import assert from 'node:assert/strict';
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { runNode } from '@piper/sdk/testing';
import { httpNode } from './http.node.js';

let base: string;
const seen: Array<{ method?: string; url?: string; headers: IncomingMessage['headers']; body: string }> = [];
const server = createServer(async (req, res) => {
  let body = '';
  for await (const chunk of req) body += chunk;
  seen.push({ method: req.method, url: req.url, headers: req.headers, body });
  if (req.url === '/token') {
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify({ access_token: 'from-token-endpoint' }));
  } else if (req.url?.startsWith('/missing')) {
    res.statusCode = 404;
    res.end('nope');
  } else {
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify({ ok: true, path: req.url }));
  }
});
before(async () => {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
after(() => new Promise<void>((resolve) => server.close(() => resolve())));

describe('core.http', () => {
  it('sends the request with query and JSON body, and parses a JSON answer', async () => {
    const result = await runNode(httpNode, { args: { method: 'POST', url: `${base}/items`, query: { page: 2 }, body: { name: 'a' } } });
    const output = result.output as { status: number; body: { path: string } };
    assert.equal(output.status, 200);
    assert.equal(output.body.path, '/items?page=2');
    const request = seen.at(-1)!;
    assert.equal(request.headers['content-type'], 'application/json');
    assert.equal(request.body, '{"name":"a"}');
  });

  it('authenticates with each kind of core.httpAuth credential', async () => {
    const expectations: Array<[Record<string, string>, string, string]> = [
      [{ kind: 'bearer', token: 't0k' }, 'authorization', 'Bearer t0k'],
      [{ kind: 'basic', username: 'u', password: 'p' }, 'authorization', `Basic ${Buffer.from('u:p').toString('base64')}`],
      [{ kind: 'header', headerName: 'X-Api-Key', headerValue: 'k3y' }, 'x-api-key', 'k3y'],
      [{ kind: 'oauth2ClientCredentials', tokenUrl: `${base}/token`, clientId: 'id', clientSecret: 'secret' }, 'authorization', 'Bearer from-token-endpoint'],
    ];
    for (const [credentials, header, value] of expectations) {
      await runNode(httpNode, { args: { method: 'GET', url: `${base}/secure` }, credentials: credentials as never });
      assert.equal(seen.at(-1)!.headers[header], value, credentials.kind);
    }
  });

  it('fails on an error status unless told not to', async () => {
    await assert.rejects(runNode(httpNode, { args: { method: 'GET', url: `${base}/missing` } }), /answered 404/);
    const result = await runNode(httpNode, { args: { method: 'GET', url: `${base}/missing`, failOnStatus: false } });
    assert.equal((result.output as { status: number }).status, 404);
  });
});
