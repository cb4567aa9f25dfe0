import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import type { PostgresConnection } from './connection.js';

/**
 * A database and a login role of their own on the test run's PostgreSQL (PIPER_TEST_DATABASE_URL,
 * started by scripts/test.mjs), dropped by `drop()`.
 */
export interface ScratchDatabase {
  credentials: PostgresConnection & { host: string; port: number; database: string; user: string; password: string };
  admin<T>(work: (client: pg.Client) => Promise<T>): Promise<T>;
  drop(): Promise<void>;
}

export async function createScratchDatabase(): Promise<ScratchDatabase> {
  const adminUrl = process.env.PIPER_TEST_DATABASE_URL;
  assert.ok(adminUrl, 'PIPER_TEST_DATABASE_URL is not set: run these tests through node scripts/test.mjs, which starts PostgreSQL');
  const suffix = randomBytes(5).toString('hex');
  const name = `plugin_pg_${suffix}`;
  const password = `pw-${randomBytes(12).toString('hex')}`;
  const admin = async <T>(work: (client: pg.Client) => Promise<T>): Promise<T> => {
    const client = new pg.Client({ connectionString: adminUrl });
    await client.connect();
    try {
      return await work(client);
    } finally {
      await client.end();
    }
  };
  await admin(async (client) => {
    await client.query(`create role ${name} login password '${password}'`);
    await client.query(`create database ${name} owner ${name}`);
  });
  const url = new URL(adminUrl);
  return {
    credentials: { host: url.hostname, port: Number(url.port), database: name, user: name, password },
    admin,
    drop: () =>
      admin(async (client) => {
        await client.query(`drop database if exists ${name} with (force)`);
        await client.query(`drop role if exists ${name}`);
      }),
  };
}
