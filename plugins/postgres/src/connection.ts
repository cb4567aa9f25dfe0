import { defineCredentialType } from '@piper/sdk';
import pg from 'pg';

/** What a `postgres.connection` credential holds once decrypted. */
export interface PostgresConnection {
  connectionString?: string;
  host?: string;
  port?: number;
  database?: string;
  user?: string;
  password?: string;
  ssl?: 'disable' | 'require' | 'verify-full';
  caCertificate?: string;
  maxConnections?: number;
}

const CONNECT_TIMEOUT_MS = 10_000;

export const postgresConnectionCredential = defineCredentialType({
  type: 'postgres.connection',
  name: 'PostgreSQL connection',
  schema: {
    type: 'object',
    description: 'Either a connection string, or host, database and user.',
    properties: {
      connectionString: { type: 'string', title: 'Connection string', description: 'postgres://user:password@host:5432/database?sslmode=require (overrides the fields below)' },
      host: { type: 'string', title: 'Host' },
      port: { type: 'integer', title: 'Port', minimum: 1, maximum: 65535, default: 5432 },
      database: { type: 'string', title: 'Database' },
      user: { type: 'string', title: 'User' },
      password: { type: 'string', title: 'Password' },
      ssl: {
        type: 'string',
        title: 'SSL',
        enum: ['disable', 'require', 'verify-full'],
        default: 'disable',
        description: 'require: encrypted, the certificate is not checked; verify-full: encrypted, certificate and host name checked',
      },
      caCertificate: { type: 'string', title: 'CA certificate (PEM)', description: 'For verify-full against a private certificate authority' },
      maxConnections: { type: 'integer', title: 'Connections per worker', minimum: 1, maximum: 50, default: 5 },
    },
    anyOf: [{ required: ['connectionString'] }, { required: ['host', 'database', 'user'] }],
  } as const,
  ui: {
    'ui:order': ['connectionString', 'host', 'port', 'database', 'user', 'password', 'ssl', 'caCertificate', 'maxConnections'],
    connectionString: { 'ui:widget': 'password' },
    password: { 'ui:widget': 'password' },
    caCertificate: { 'ui:widget': 'textarea' },
  },
  secretFields: ['connectionString', 'password'],
  async test(data, { signal }) {
    const client = new pg.Client(clientConfig(data as PostgresConnection));
    const abort = () => void client.end().catch(() => undefined);
    signal.addEventListener('abort', abort, { once: true });
    try {
      await client.connect();
      const { rows } = await client.query<{ version: string; user: string; database: string }>(
        "select 1 as ok, current_setting('server_version') as version, current_user as user, current_database() as database",
      );
      const row = rows[0]!;
      return { ok: true, message: `Connected to PostgreSQL ${row.version} as ${row.user} on database ${row.database}` };
    } catch (error) {
      return { ok: false, message: describePostgresError(error, data as PostgresConnection) };
    } finally {
      signal.removeEventListener('abort', abort);
      await client.end().catch(() => undefined);
    }
  },
});

function sslConfig(connection: PostgresConnection): pg.ClientConfig['ssl'] {
  switch (connection.ssl ?? 'disable') {
    case 'disable':
      return undefined;
    case 'require':
      return { rejectUnauthorized: false };
    case 'verify-full':
      return { rejectUnauthorized: true, ...(connection.caCertificate ? { ca: connection.caCertificate } : {}) };
  }
}

const INT8 = 20;
const DATE = 1082;

/**
 * bigint (count(*), bigserial) as a number while it is exact, a string beyond; date as its
 * 'YYYY-MM-DD' text, not a Date at the worker's local midnight. numeric stays text (exact).
 */
const types: pg.CustomTypesConfig = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary') => {
    if (format !== 'binary' && oid === INT8) {
      return (value: string) => {
        const number = Number(value);
        return Number.isSafeInteger(number) ? number : value;
      };
    }
    if (format !== 'binary' && oid === DATE) return (value: string) => value;
    return pg.types.getTypeParser(oid, format);
  }) as pg.CustomTypesConfig['getTypeParser'],
};

/** The pg client options of a credential. A connection string wins over the separate fields. */
export function clientConfig(connection: PostgresConnection): pg.ClientConfig {
  const ssl = sslConfig(connection);
  const common = { connectionTimeoutMillis: CONNECT_TIMEOUT_MS, application_name: 'piper', types, ...(ssl ? { ssl } : {}) };
  if (connection.connectionString) return { connectionString: connection.connectionString, ...common };
  return {
    host: connection.host,
    port: connection.port ?? 5432,
    database: connection.database,
    user: connection.user,
    password: connection.password,
    ...common,
  };
}

/** Where a credential points, for messages: never its password. */
export function describeTarget(connection: PostgresConnection): string {
  if (connection.connectionString) {
    try {
      const url = new URL(connection.connectionString);
      return `${url.hostname}:${url.port || 5432}${url.pathname}`;
    } catch {
      return 'the server of the connection string';
    }
  }
  return `${connection.host}:${connection.port ?? 5432}/${connection.database}`;
}

/**
 * A readable message for a failed query or connection: PostgreSQL's own message with its
 * SQLSTATE, detail, hint and position; a network error with the server it tried.
 */
export function describePostgresError(error: unknown, connection: PostgresConnection): string {
  if (error instanceof pg.DatabaseError) {
    const parts = [`PostgreSQL error ${error.code}: ${error.message}`];
    if (error.position) parts.push(`at character ${error.position}`);
    if (error.detail) parts.push(`detail: ${error.detail}`);
    if (error.hint) parts.push(`hint: ${error.hint}`);
    if (error.where) parts.push(`where: ${error.where}`);
    return parts.join('; ');
  }
  const message = withoutSecrets(error instanceof Error ? error.message : String(error), connection);
  const code = (error as { code?: unknown }).code;
  if (typeof code === 'string' && /^E[A-Z]+$/.test(code)) return `Could not reach PostgreSQL at ${describeTarget(connection)}: ${message}`;
  if (/timeout expired|Connection terminated due to connection timeout/i.test(message)) return `Could not connect to PostgreSQL at ${describeTarget(connection)} within ${CONNECT_TIMEOUT_MS / 1000} s`;
  return message;
}

function withoutSecrets(text: string, connection: PostgresConnection): string {
  let out = text;
  for (const secret of [connection.connectionString, connection.password]) if (secret) out = out.split(secret).join('********');
  return out;
}
