import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { SignJWT } from 'jose';
import { startTestServer, type TestServer } from '../testing/harness.js';
import { DEMO_PASSWORD } from '../seed/demo.js';
import { JWT_AUDIENCE, JWT_ISSUER, jwtSigningKey } from './tokens.js';

const DEMO_USERS = [
  'admin@acme.test',
  'manager@acme.test',
  'client@acme.test',
  'client2@acme.test',
  'admin@beta.test',
  'manager@beta.test',
  'client@beta.test',
];

let server: TestServer;
let adminToken: string;

before(async () => {
  server = await startTestServer({ loginMaxFailuresPerAccount: 5, loginMaxFailuresPerIp: 40 });
  adminToken = await server.login('admin@acme.test');
});
after(() => server.close());

async function createUser(role: 'admin' | 'manager' | 'client', password = 'first-password-1') {
  const email = `${role}-${Math.random().toString(36).slice(2)}@acme.test`;
  const response = await server.request('POST', '/api/users', { token: adminToken, body: { email, name: `Test ${role}`, password, role } });
  assert.equal(response.status, 201, JSON.stringify(response.body));
  return { ...response.body, email, password } as { id: string; email: string; password: string };
}

describe('login', () => {
  it('logs in every demo user and answers who they are', async () => {
    for (const email of DEMO_USERS) {
      const login = await server.request('POST', '/api/auth/login', { body: { email, password: DEMO_PASSWORD } });
      assert.equal(login.status, 200, email);
      assert.equal(login.body.user.email, email);
      assert.ok(['admin', 'manager', 'client'].includes(login.body.user.role));
      assert.match(login.body.user.orgId, /^[0-9a-f-]{36}$/);
      assert.equal(login.body.user.passwordHash, undefined);
      const me = await server.request('GET', '/api/auth/me', { token: login.body.token });
      assert.equal(me.status, 200);
      assert.equal(me.body.user.email, email);
      assert.equal(me.body.org.slug, email.split('@')[1]!.replace('.test', ''));
    }
  });

  it('answers an unknown email exactly like a wrong password, in similar time', async () => {
    const user = await createUser('client');
    const timings = { unknown: [] as number[], wrong: [] as number[] };
    let unknownBody: unknown;
    let wrongBody: unknown;
    for (let i = 0; i < 4; i++) {
      let started = performance.now();
      const unknown = await server.request('POST', '/api/auth/login', { body: { email: `nobody-${i}@acme.test`, password: 'whatever-1' } });
      timings.unknown.push(performance.now() - started);
      started = performance.now();
      const wrong = await server.request('POST', '/api/auth/login', { body: { email: user.email, password: `wrong-${i}` } });
      timings.wrong.push(performance.now() - started);
      assert.equal(unknown.status, 401);
      assert.equal(wrong.status, 401);
      unknownBody = { ...unknown.body.error, requestId: undefined };
      wrongBody = { ...wrong.body.error, requestId: undefined };
    }
    assert.deepEqual(unknownBody, wrongBody);
    const median = (values: number[]) => values.sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
    const ratio = median(timings.unknown) / median(timings.wrong);
    assert.ok(ratio > 0.33 && ratio < 3, `unknown email took ${median(timings.unknown)} ms, wrong password ${median(timings.wrong)} ms`);
  });

  it('refuses a disabled user with the same answer as a wrong password', async () => {
    const user = await createUser('client');
    const patch = await server.request('PATCH', `/api/users/${user.id}`, { token: adminToken, body: { disabled: true } });
    assert.equal(patch.status, 200);
    const login = await server.request('POST', '/api/auth/login', { body: { email: user.email, password: user.password } });
    assert.equal(login.status, 401);
    assert.equal(login.body.error.message, 'Invalid email or password');
  });

  it('stores passwords as argon2id with at least 19 MiB and 2 passes', async () => {
    const user = await createUser('manager');
    const row = await server.services.db('users').where({ id: user.id }).first('passwordHash');
    const params = (hash: string) => {
      const match = /^\$argon2id\$v=19\$([a-z0-9=,]+)\$/.exec(hash);
      assert.ok(match, `not an argon2id hash: ${hash}`);
      return Object.fromEntries(match[1]!.split(',').map((pair) => pair.split('=')).map(([k, v]) => [k, Number(v)]));
    };
    const own = params(row.passwordHash);
    assert.ok(own.m! >= 19 * 1024, `memory ${own.m} KiB`);
    assert.ok(own.t! >= 2, `time cost ${own.t}`);
    const demo = await server.services.db('users').where({ email: 'admin@acme.test' }).first('passwordHash');
    assert.deepEqual(params(demo.passwordHash), { m: 19456, t: 2, p: 1 });
  });
});

describe('rate limiting', () => {
  it('blocks an account after repeated failures, even with the right password next', async () => {
    const user = await createUser('client');
    for (let i = 0; i < 5; i++) {
      const response = await server.request('POST', '/api/auth/login', { body: { email: user.email, password: 'wrong-password' } });
      assert.equal(response.status, 401);
    }
    const blocked = await server.request('POST', '/api/auth/login', { body: { email: user.email, password: user.password } });
    assert.equal(blocked.status, 429);
    assert.equal(blocked.body.error.code, 'rate_limited');
    assert.ok(Number(blocked.headers.get('retry-after')) > 0);
  });

  it('limits unknown emails the same way, so the limit reveals nothing', async () => {
    const email = 'ghost@acme.test';
    for (let i = 0; i < 5; i++) {
      assert.equal((await server.request('POST', '/api/auth/login', { body: { email, password: 'x-password' } })).status, 401);
    }
    assert.equal((await server.request('POST', '/api/auth/login', { body: { email, password: 'x-password' } })).status, 429);
  });

  it('blocks an address that fails across many accounts', async () => {
    const limited = await startTestServer({ loginMaxFailuresPerIp: 3, loginMaxFailuresPerAccount: 100 });
    try {
      for (let i = 0; i < 3; i++) {
        const response = await limited.request('POST', '/api/auth/login', { body: { email: `someone-${i}@acme.test`, password: 'nope-nope' } });
        assert.equal(response.status, 401);
      }
      const blocked = await limited.request('POST', '/api/auth/login', { body: { email: 'admin@acme.test', password: DEMO_PASSWORD } });
      assert.equal(blocked.status, 429);
    } finally {
      await limited.close();
    }
  });
});

describe('tokens', () => {
  it('stops accepting a token once its session logged out', async () => {
    const token = await server.login('manager@acme.test');
    assert.equal((await server.request('GET', '/api/auth/me', { token })).status, 200);
    assert.equal((await server.request('POST', '/api/auth/logout', { token })).status, 204);
    const after = await server.request('GET', '/api/auth/me', { token });
    assert.equal(after.status, 401);
    assert.equal(after.body.error.code, 'unauthorized');
  });

  it('ends the other sessions on a password change, keeps the current one, and swaps the password', async () => {
    const user = await createUser('manager');
    const current = await server.login(user.email, user.password);
    const other = await server.login(user.email, user.password);
    const change = await server.request('POST', '/api/auth/password', { token: current, body: { currentPassword: user.password, newPassword: 'second-password-2' } });
    assert.equal(change.status, 204);
    assert.equal((await server.request('GET', '/api/auth/me', { token: other })).status, 401);
    assert.equal((await server.request('GET', '/api/auth/me', { token: current })).status, 200);
    assert.equal((await server.request('POST', '/api/auth/login', { body: { email: user.email, password: user.password } })).status, 401);
    await server.login(user.email, 'second-password-2');
  });

  it('refuses a password change with a wrong current password or a too short new one', async () => {
    const user = await createUser('client');
    const token = await server.login(user.email, user.password);
    const wrong = await server.request('POST', '/api/auth/password', { token, body: { currentPassword: 'not-it-at-all', newPassword: 'second-password-2' } });
    assert.equal(wrong.status, 400);
    const short = await server.request('POST', '/api/auth/password', { token, body: { currentPassword: user.password, newPassword: 'short' } });
    assert.equal(short.status, 400);
    assert.equal((await server.request('GET', '/api/auth/me', { token })).status, 200);
  });

  it('refuses expired, unsigned (alg none), wrongly signed, wrong-audience and wrong-algorithm tokens', async () => {
    const token = await server.login('client@acme.test');
    const [, payloadPart] = token.split('.');
    const claims = JSON.parse(Buffer.from(payloadPart!, 'base64url').toString());
    const key = jwtSigningKey(Buffer.from(server.config.masterKey!, 'base64'));
    const sign = (alg: string, signingKey: Uint8Array, overrides: Record<string, unknown> = {}) =>
      new SignJWT({ org: claims.org })
        .setProtectedHeader({ alg })
        .setSubject(claims.sub)
        .setJti(claims.jti)
        .setIssuer((overrides.iss as string) ?? JWT_ISSUER)
        .setAudience((overrides.aud as string) ?? JWT_AUDIENCE)
        .setIssuedAt(Math.floor(Date.now() / 1000) - 7200)
        .setExpirationTime((overrides.exp as number) ?? Math.floor(Date.now() / 1000) + 600)
        .sign(signingKey);
    const encode = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');

    const valid = await sign('HS256', key);
    assert.equal((await server.request('GET', '/api/auth/me', { token: valid })).status, 200, 'a correctly forged control token works');

    const forged = {
      expired: await sign('HS256', key, { exp: Math.floor(Date.now() / 1000) - 60 }),
      algNone: `${encode({ alg: 'none', typ: 'JWT' })}.${payloadPart}.`,
      otherKey: await sign('HS256', new Uint8Array(32).fill(7)),
      wrongAudience: await sign('HS256', key, { aud: 'someone-else' }),
      wrongIssuer: await sign('HS256', key, { iss: 'someone-else' }),
      hs512: await sign('HS512', new Uint8Array(64).fill(1)),
      tamperedPayload: `${token.split('.')[0]}.${encode({ ...claims, sub: '00000000-0000-0000-0000-000000000000' })}.${token.split('.')[2]}`,
      garbage: 'not-a-token',
      revokedServiceLike: 'psa_doesnotexist',
    };
    for (const [name, bad] of Object.entries(forged)) {
      const response = await server.request('GET', '/api/auth/me', { token: bad });
      assert.equal(response.status, 401, name);
    }
    const noScheme = await server.request('GET', '/api/auth/me', { headers: { authorization: token } });
    assert.equal(noScheme.status, 401);
  });

  it('refreshes a token for the same session, which logout then ends', async () => {
    const token = await server.login('client@acme.test');
    const refreshed = await server.request('POST', '/api/auth/refresh', { token });
    assert.equal(refreshed.status, 200);
    assert.equal((await server.request('GET', '/api/auth/me', { token: refreshed.body.token })).status, 200);
    await server.request('POST', '/api/auth/logout', { token });
    assert.equal((await server.request('GET', '/api/auth/me', { token: refreshed.body.token })).status, 401);
  });
});

describe('password reset', () => {
  it('always answers 202 and mails a single-use token to known users only', async () => {
    const user = await createUser('client');
    const session = await server.login(user.email, user.password);
    const before = (await server.request('GET', '/api/outbox', { token: adminToken })).body.length;
    assert.equal((await server.request('POST', '/api/auth/forgot', { body: { email: 'nobody@nowhere.test' } })).status, 202);
    assert.equal((await server.request('GET', '/api/outbox', { token: adminToken })).body.length, before);

    assert.equal((await server.request('POST', '/api/auth/forgot', { body: { email: user.email } })).status, 202);
    const outbox = await server.request('GET', '/api/outbox', { token: adminToken });
    const mail = outbox.body.find((email: { to: string }) => email.to === user.email);
    assert.ok(mail, 'the reset email is in the outbox');
    const token = /The reset token is: (\S+)/.exec(mail.body)![1]!;

    const reset = await server.request('POST', '/api/auth/reset', { body: { token, newPassword: 'brand-new-password' } });
    assert.equal(reset.status, 204);
    assert.equal((await server.request('GET', '/api/auth/me', { token: session })).status, 401, 'a reset ends every session');
    await server.login(user.email, 'brand-new-password');
    const reuse = await server.request('POST', '/api/auth/reset', { body: { token, newPassword: 'another-password' } });
    assert.equal(reuse.status, 400);
    await server.login(user.email, 'brand-new-password');
  });

  it('refuses an expired reset token', async () => {
    const user = await createUser('client');
    await server.request('POST', '/api/auth/forgot', { body: { email: user.email } });
    const mail = (await server.request('GET', '/api/outbox', { token: adminToken })).body.find((email: { to: string }) => email.to === user.email);
    const token = /The reset token is: (\S+)/.exec(mail.body)![1]!;
    await server.services.db('passwordResetTokens').where({ userId: user.id }).update({ expiresAt: new Date(Date.now() - 1000) });
    const reset = await server.request('POST', '/api/auth/reset', { body: { token, newPassword: 'brand-new-password' } });
    assert.equal(reset.status, 400);
    await server.login(user.email, user.password);
  });
});

describe('service accounts', () => {
  it('authenticates with a token shown once and stored only as a hash; revoking ends it', async () => {
    const created = await server.request('POST', '/api/service-accounts', { token: adminToken, body: { name: 'runner', groupIds: [] } });
    assert.equal(created.status, 201);
    const { id, token } = created.body;
    assert.match(token, /^psa_/);
    const row = await server.services.db('serviceAccounts').where({ id }).first();
    assert.notEqual(row.tokenHash, token);
    assert.ok(!JSON.stringify(row).includes(token));
    const listed = await server.request('GET', '/api/service-accounts', { token: adminToken });
    assert.ok(!JSON.stringify(listed.body).includes(token));
    const me = await server.request('GET', '/api/auth/me', { token });
    assert.equal(me.status, 200);
    assert.equal(me.body.serviceAccount.id, id);
    assert.equal((await server.request('DELETE', `/api/service-accounts/${id}`, { token: adminToken })).status, 204);
    assert.equal((await server.request('GET', '/api/auth/me', { token })).status, 401);
  });
});
