import assert from 'node:assert/strict';
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, beforeEach, describe, it } from 'node:test';
import { runNode } from '@piper/sdk/testing';
import { httpAuthCredential } from './credentials.js';
import type { HttpAuth } from './http-auth.js';
import { httpNode } from './http.node.js';

/**
 * A real OAuth2 authorization server and API on the loopback: the token endpoint checks the
 * client, issues numbered tokens, and the API accepts only tokens that have not been revoked.
 */
let base: string;
let issued = 0;
let tokenRequests: Array<{ headers: IncomingMessage['headers']; form: URLSearchParams }> = [];
let apiRequests: Array<{ headers: IncomingMessage['headers'] }> = [];
let expiresIn: number | undefined = 3600;
const revoked = new Set<string>();
const CLIENT_SECRET = 'client-secret-7c1e';

function clientOf(req: IncomingMessage, form: URLSearchParams): [string | undefined, string | undefined] {
  const basic = /^Basic (.+)$/.exec(req.headers.authorization ?? '')?.[1];
  if (basic) {
    const [id, secret] = Buffer.from(basic, 'base64').toString().split(':').map(decodeURIComponent);
    return [id, secret];
  }
  return [form.get('client_id') ?? undefined, form.get('client_secret') ?? undefined];
}

const server = createServer(async (req, res) => {
  let text = '';
  for await (const chunk of req) text += chunk;
  res.setHeader('content-type', 'application/json');
  if (req.url === '/oauth/token') {
    const form = new URLSearchParams(text);
    tokenRequests.push({ headers: req.headers, form });
    const [id, secret] = clientOf(req, form);
    if (form.get('grant_type') !== 'client_credentials') {
      res.statusCode = 400;
      return res.end(JSON.stringify({ error: 'unsupported_grant_type' }));
    }
    if (id !== 'piper-client' || secret !== CLIENT_SECRET) {
      res.statusCode = 401;
      return res.end(JSON.stringify({ error: 'invalid_client', error_description: 'Client authentication failed' }));
    }
    await new Promise((resolve) => setTimeout(resolve, 20));
    issued++;
    return res.end(JSON.stringify({ access_token: `token-${issued}`, token_type: 'Bearer', ...(expiresIn === undefined ? {} : { expires_in: expiresIn }), scope: form.get('scope') }));
  }
  if (req.url === '/oauth/broken') {
    res.statusCode = 200;
    return res.end(JSON.stringify({ token_type: 'Bearer' }));
  }
  if (req.url === '/plain') return res.end(JSON.stringify({ ok: true }));
  apiRequests.push({ headers: req.headers });
  const token = /^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1];
  if (!token || revoked.has(token)) {
    res.statusCode = 401;
    return res.end(JSON.stringify({ error: 'invalid_token' }));
  }
  res.end(JSON.stringify({ token }));
});

before(async () => {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
after(() => new Promise<void>((resolve) => server.close(() => resolve())));
beforeEach(() => {
  tokenRequests = [];
  apiRequests = [];
  expiresIn = 3600;
});

/** Each test has its own client (a distinct scope), so cached tokens of one test do not serve another. */
const oauth = (scope: string, extra: Partial<HttpAuth> = {}): HttpAuth => ({
  kind: 'oauth2ClientCredentials',
  tokenUrl: `${base}/oauth/token`,
  clientId: 'piper-client',
  clientSecret: CLIENT_SECRET,
  scope,
  ...extra,
});
const call = (credentials: HttpAuth) => runNode(httpNode, { args: { method: 'GET', url: `${base}/api/things` }, credentials: credentials as never });
const tokenOf = (result: Awaited<ReturnType<typeof call>>) => (result.output as { body: { token: string } }).body.token;

describe('core.httpAuth: OAuth2 client credentials', () => {
  it('fetches a token with the client\'s Basic authentication and the scope, and sends it as a bearer token', async () => {
    const result = await call(oauth('read:things write:things', { audience: 'https://api.example' }));
    assert.equal((result.output as { status: number }).status, 200);
    assert.match(tokenOf(result), /^token-\d+$/);
    assert.equal(tokenRequests.length, 1);
    const [request] = tokenRequests as [(typeof tokenRequests)[number]];
    assert.equal(request.headers['content-type'], 'application/x-www-form-urlencoded');
    assert.equal(request.headers.authorization, `Basic ${Buffer.from(`piper-client:${CLIENT_SECRET}`).toString('base64')}`);
    assert.equal(request.form.get('scope'), 'read:things write:things');
    assert.equal(request.form.get('audience'), 'https://api.example');
    assert.equal(request.form.get('client_secret'), null, 'the secret is not in the body as well');
    assert.equal(apiRequests.at(-1)!.headers.authorization, `Bearer ${tokenOf(result)}`);
  });

  it('can send the client id and secret in the form body instead', async () => {
    const result = await call(oauth('body-auth', { clientAuthentication: 'body' }));
    assert.equal((result.output as { status: number }).status, 200);
    const [request] = tokenRequests as [(typeof tokenRequests)[number]];
    assert.equal(request.headers.authorization, undefined);
    assert.equal(request.form.get('client_id'), 'piper-client');
    assert.equal(request.form.get('client_secret'), CLIENT_SECRET);
  });

  it('reuses the token until shortly before it expires, and one fetch serves concurrent requests', async () => {
    const credentials = oauth('cached');
    const results = await Promise.all(Array.from({ length: 5 }, () => call(credentials)));
    assert.equal(tokenRequests.length, 1, 'concurrent requests share one token request');
    assert.equal(new Set(results.map(tokenOf)).size, 1);
    const again = await call(credentials);
    assert.equal(tokenOf(again), tokenOf(results[0]!));
    assert.equal(tokenRequests.length, 1, 'a later run reuses the cached token');
    const other = await call(oauth('cached', { clientId: 'piper-client', clientSecret: CLIENT_SECRET, audience: 'another' }));
    assert.notEqual(tokenOf(other), tokenOf(again), 'another client configuration has its own token');
  });

  it('fetches a new token once the cached one is about to expire', async () => {
    expiresIn = 1;
    const credentials = oauth('short-lived');
    const first = tokenOf(await call(credentials));
    assert.equal(tokenOf(await call(credentials)), first, 'still fresh');
    await new Promise((resolve) => setTimeout(resolve, 600));
    const second = tokenOf(await call(credentials));
    assert.notEqual(second, first);
    assert.equal(tokenRequests.length, 2);
  });

  it('fetches a new token once when the API refuses a cached one before its expiry', async () => {
    const credentials = oauth('revoked');
    const first = tokenOf(await call(credentials));
    revoked.add(first);
    const result = await call(credentials);
    assert.equal((result.output as { status: number }).status, 200);
    assert.notEqual(tokenOf(result), first);
    assert.equal(tokenRequests.length, 2);
  });

  it('fails with the token endpoint\'s OAuth error, never with the secret', async () => {
    const error = await call(oauth('wrong', { clientSecret: 'wrong-secret-value' })).catch((e: Error) => e);
    assert.ok(error instanceof Error);
    assert.equal(error.message, `The token endpoint ${base}/oauth/token answered 401: invalid_client (Client authentication failed)`);
    await assert.rejects(call(oauth('broken', { tokenUrl: `${base}/oauth/broken` })), /answered 200 without an access_token/);
    const closedPort = await new Promise<number>((resolve) => {
      const probe = createServer().listen(0, '127.0.0.1', () => {
        const { port } = probe.address() as AddressInfo;
        probe.close(() => resolve(port));
      });
    });
    await assert.rejects(
      call(oauth('down', { tokenUrl: `http://127.0.0.1:${closedPort}/token` })),
      new RegExp(`^Error: Could not reach the token endpoint http://127\\.0\\.0\\.1:${closedPort}/token: .*ECONNREFUSED`),
    );
    assert.equal(apiRequests.length, 0, 'no request goes out without a token');
  });

  it('does not cache a failed token request', async () => {
    const credentials = oauth('flaky', { clientSecret: 'not-yet' });
    await assert.rejects(call(credentials));
    await assert.rejects(call(credentials));
    assert.equal(tokenRequests.length, 2);
  });

  it('is checked by the credential test against the token endpoint', async () => {
    const signal = new AbortController().signal;
    const good = await httpAuthCredential.test!(oauth('test') as never, { signal });
    assert.equal(good.ok, true, good.message);
    assert.match(good.message, /^The token endpoint issued a token valid for about 3600 s$/);
    const bad = await httpAuthCredential.test!(oauth('test', { clientSecret: 'nope-nope' }) as never, { signal });
    assert.deepEqual(bad, { ok: false, message: `The token endpoint ${base}/oauth/token answered 401: invalid_client (Client authentication failed)` });
    const bearer = await httpAuthCredential.test!({ kind: 'bearer', token: 'x' } as never, { signal });
    assert.equal(bearer.ok, true);
  });
});

describe('core.httpAuth: every kind', () => {
  it('never puts a secret in the node\'s output or logs', async () => {
    const kinds: HttpAuth[] = [
      { kind: 'bearer', token: 'bearer-secret-1' },
      { kind: 'basic', username: 'user', password: 'basic-secret-2' },
      { kind: 'header', headerName: 'X-Api-Key', headerValue: 'header-secret-3' },
      oauth('secrets'),
    ];
    for (const credentials of kinds) {
      const result = await runNode(httpNode, { args: { method: 'GET', url: `${base}/plain` }, credentials: credentials as never });
      const seen = JSON.stringify([result.output, result.ctx.logs]);
      for (const secret of ['bearer-secret-1', 'basic-secret-2', 'header-secret-3', CLIENT_SECRET]) assert.ok(!seen.includes(secret), `${credentials.kind}: ${secret}`);
    }
  });

  it('declares every secret field', () => {
    assert.deepEqual([...httpAuthCredential.secretFields].sort(), ['clientSecret', 'headerValue', 'password', 'token']);
  });
});
