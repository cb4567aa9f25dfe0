import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { runNode } from '@piper/sdk/testing';
import pg from 'pg';
import plugin, { closePools } from './index.js';
import { postgresConnectionCredential, type PostgresConnection } from './connection.js';
import { openPoolCount } from './pools.js';
import { queryNode } from './query.node.js';
import { createScratchDatabase, type ScratchDatabase } from './scratch-database.test-helper.js';

let scratch: ScratchDatabase;
let credentials: PostgresConnection;
let database: string;
let role: string;
let password: string;
const admin = <T>(work: (client: pg.Client) => Promise<T>) => scratch.admin(work);

const query = (args: Partial<Parameters<typeof queryNode.handler>[1]>, ctx: { signal?: AbortSignal } = {}, connection = credentials) =>
  runNode(queryNode, { args, credentials: connection, ctx });

/** The credential test as the server calls it: with the stored data, defaults not filled in. */
const testCredential = (data: PostgresConnection, ctx: { signal: AbortSignal }) => postgresConnectionCredential.test!(data as never, ctx);

before(async () => {
  scratch = await createScratchDatabase();
  credentials = scratch.credentials;
  ({ database, user: role, password } = scratch.credentials);
});

after(async () => {
  await closePools();
  await scratch?.drop();
});

describe('postgres.connection', () => {
  it('passes its test with separate fields and with a connection string', async () => {
    const signal = new AbortController().signal;
    const fields = await testCredential(credentials, { signal });
    assert.equal(fields.ok, true, fields.message);
    assert.match(fields.message, new RegExp(`^Connected to PostgreSQL \\d+.* as ${role} on database ${database}$`));
    const connectionString = `postgres://${role}:${password}@${credentials.host}:${credentials.port}/${database}`;
    const fromString = await testCredential({ connectionString }, { signal });
    assert.equal(fromString.ok, true, fromString.message);
  });

  it('fails its test with PostgreSQL\'s reason, never the password', async () => {
    const signal = new AbortController().signal;
    const wrong = await testCredential({ ...credentials, password: 'not-the-password' }, { signal });
    assert.equal(wrong.ok, false);
    assert.match(wrong.message, /PostgreSQL error 28P01: password authentication failed for user/);
    assert.ok(!wrong.message.includes('not-the-password'));
    const closed = await testCredential({ host: '127.0.0.1', port: 1, database, user: role, password }, { signal });
    assert.equal(closed.ok, false);
    assert.match(closed.message, new RegExp(`^Could not reach PostgreSQL at 127\\.0\\.0\\.1:1/${database}: .*ECONNREFUSED`));
    const string = await testCredential({ connectionString: `postgres://${role}:${password}@127.0.0.1:1/${database}` }, { signal });
    assert.equal(string.ok, false);
    assert.ok(!string.message.includes(password), string.message);
  });

  it('declares the password and the connection string secret', () => {
    assert.deepEqual([...postgresConnectionCredential.secretFields].sort(), ['connectionString', 'password']);
  });
});

describe('postgres.query', () => {
  it('runs statements with $n parameters and returns rows, rowCount, command and columns', async () => {
    await query({ sql: 'create table items (id bigserial primary key, name text not null, price numeric(10,2), tags jsonb, day date, at timestamptz, blob bytea)' });
    const inserted = await query({
      sql: 'insert into items (name, price, tags, day, at, blob) values ($1, $2, $3, $4, $5, $6), ($7, $8, $9, $10, $11, $12) returning id, name',
      parameters: ['apple', 1.5, JSON.stringify({ color: 'red' }), '2026-03-01', '2026-03-01T10:00:00Z', '\\x0102ff', "o'brien; drop table items", 2, null, null, null, null],
    });
    assert.deepEqual(inserted.output, { rows: [{ id: 1, name: 'apple' }, { id: 2, name: "o'brien; drop table items" }], rowCount: 2, command: 'INSERT', columns: ['id', 'name'] });

    const selected = await query({ sql: 'select * from items where id = $1', parameters: [1] });
    assert.deepEqual(selected.output, {
      rows: [{ id: 1, name: 'apple', price: '1.50', tags: { color: 'red' }, day: '2026-03-01', at: '2026-03-01T10:00:00.000Z', blob: Buffer.from([1, 2, 255]).toString('base64') }],
      rowCount: 1,
      command: 'SELECT',
      columns: ['id', 'name', 'price', 'tags', 'day', 'at', 'blob'],
    });
    const updated = await query({ sql: 'update items set price = price + $1', parameters: [1] });
    assert.deepEqual(updated.output, { rows: [], rowCount: 2, command: 'UPDATE', columns: [] });
  });

  it('returns the first row or its first value in the other modes, null when there is none', async () => {
    assert.deepEqual((await query({ sql: 'select 7 as n, $1::text as s', parameters: ['x'], mode: 'first' })).output, { n: 7, s: 'x' });
    assert.equal((await query({ sql: 'select count(*) from generate_series(1, 42)', mode: 'value' })).output, 42);
    assert.equal((await query({ sql: 'select 9007199254740993::bigint', mode: 'value' })).output, '9007199254740993');
    assert.equal((await query({ sql: 'select 1 where false', mode: 'first' })).output, null);
    assert.equal((await query({ sql: 'select 1 where false', mode: 'value' })).output, null);
  });

  it('answers the last result of several statements', async () => {
    const result = await query({ sql: 'create temp table t (x int); insert into t values (1), (2); select sum(x) as total from t' });
    assert.deepEqual((result.output as { rows: unknown[] }).rows, [{ total: 3 }]);
  });

  it('fails with PostgreSQL\'s message, code, position and hint', async () => {
    await assert.rejects(query({ sql: 'select * from no_such_table' }), /^Error: PostgreSQL error 42P01: relation "no_such_table" does not exist; at character 15$/);
    await assert.rejects(query({ sql: 'select $1::int', parameters: ['abc'] }), /PostgreSQL error 22P02: invalid input syntax for type integer: "abc"/);
    await assert.rejects(query({ sql: 'select nope(1)' }), /42883: function nope\(integer\) does not exist; at character 8; hint: No function matches/);
  });

  it('stops a statement at its statement timeout', async () => {
    const started = Date.now();
    await assert.rejects(query({ sql: 'select pg_sleep(5)', statementTimeoutMs: 150 }), /PostgreSQL error 57014: canceling statement due to statement timeout/);
    assert.ok(Date.now() - started < 3000);
    // The session goes back to the pool with the next node's timeout.
    assert.equal((await query({ sql: "select current_setting('statement_timeout')", mode: 'value', statementTimeoutMs: 30_000 })).output, '30s');
  });

  it('cancels the running statement on the server when the node is aborted', async () => {
    const controller = new AbortController();
    const started = Date.now();
    setTimeout(() => controller.abort(), 200);
    await assert.rejects(query({ sql: 'select pg_sleep(10)' }, { signal: controller.signal }), /The query was canceled because the node was aborted/);
    assert.ok(Date.now() - started < 3000);
    const running = await admin((client) => client.query("select count(*)::int as n from pg_stat_activity where query = 'select pg_sleep(10)' and state = 'active'"));
    assert.equal(running.rows[0].n, 0, 'the statement no longer runs on the server');
  });

  it('never leaves a transaction open on a pooled session', async () => {
    await assert.rejects(query({ sql: 'begin; insert into items (name) values ($$left open$$)' }), /left a transaction open .* rolled back/);
    await assert.rejects(query({ sql: 'begin; insert into items (name) values ($$half$$); select 1/0; commit' }), /22012: division by zero/);
    for (let i = 0; i < 3; i++) {
      assert.equal((await query({ sql: 'select now() = statement_timestamp()', mode: 'value' })).output, true, 'not inside a transaction');
    }
    assert.equal((await query({ sql: "select count(*) from items where name in ('left open', 'half')", mode: 'value' })).output, 0);
    const committed = await query({ sql: 'begin; insert into items (name) values ($$whole$$); commit' });
    assert.equal(committed.output && (committed.output as { command: string }).command, 'COMMIT');
    assert.equal((await query({ sql: "select count(*) from items where name = 'whole'", mode: 'value' })).output, 1);
  });

  it('keeps one pool per credential, within its connection limit', async () => {
    await closePools();
    const limited = { ...credentials, maxConnections: 2 };
    const pids = await Promise.all(Array.from({ length: 6 }, () => query({ sql: 'select pg_backend_pid() as pid from pg_sleep(0.1)', mode: 'value' }, {}, limited)));
    assert.ok(new Set(pids.map((result) => result.output)).size <= 2);
    assert.equal(openPoolCount(), 1);
    await query({ sql: 'select 1' });
    assert.equal(openPoolCount(), 2, 'another credential has its own pool');
    await closePools();
    assert.equal(openPoolCount(), 0);
    assert.equal((await query({ sql: 'select 1 as one', mode: 'value' })).output, 1, 'a pool opens again after closePools');
  });

  it('fails a result larger than maxRows with a clear message', async () => {
    await assert.rejects(query({ sql: 'select * from generate_series(1, 50)', maxRows: 10 }), /returned 50 rows, more than the node's maxRows \(10\)/);
  });

  it('never puts the password in outputs, logs or errors', async () => {
    const result = await query({ sql: 'select current_user as who' });
    const seen = JSON.stringify([result.output, result.ctx.logs]);
    assert.ok(!seen.includes(password));
    const connectionString = `postgres://${role}:${password}@${credentials.host}:${credentials.port}/${database}`;
    for (const sql of ['select * from nowhere', 'select 1']) {
      const outcome = await query({ sql }, {}, { connectionString, maxConnections: 1 }).then(
        (ok) => JSON.stringify([ok.output, ok.ctx.logs]),
        (error: Error) => error.message,
      );
      assert.ok(!outcome.includes(password), outcome);
    }
    const refused = await query({ sql: 'select 1' }, {}, { connectionString: `postgres://${role}:${password}@127.0.0.1:1/${database}` }).catch((error: Error) => error.message);
    assert.match(String(refused), /Could not reach PostgreSQL at 127\.0\.0\.1:1\//);
    assert.ok(!String(refused).includes(password));
  });
});

describe('the plugin', () => {
  it('is the package it ships in', () => {
    const manifest = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));
    assert.equal(plugin.id, manifest.name);
    assert.equal(plugin.version, manifest.version);
    assert.equal(manifest.piper.plugin, 'dist/index.js');
  });
});
