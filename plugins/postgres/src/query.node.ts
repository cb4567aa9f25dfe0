import { defineNode } from '@piper/sdk';
import pg from 'pg';
import { describePostgresError, type PostgresConnection } from './connection.js';
import { OpenTransactionError, withSession } from './pools.js';

/** Rows as JSON: bytea as base64, timestamps as ISO 8601 text. */
function toJsonValue(value: unknown): unknown {
  if (value instanceof Date) return Number.isNaN(value.getTime()) ? String(value) : value.toISOString();
  if (Buffer.isBuffer(value)) return value.toString('base64');
  if (Array.isArray(value)) return value.map(toJsonValue);
  if (value && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([key, inner]) => [key, toJsonValue(inner)]));
  return value;
}

export const queryNode = defineNode({
  type: 'postgres.query',
  version: '1.0.0',
  name: 'PostgreSQL query',
  description: 'Runs SQL with $1, $2… parameters; outputs { rows, rowCount, command, columns }, the first row, or its first value',
  category: 'Data',
  args: {
    type: 'object',
    required: ['sql'],
    properties: {
      sql: { type: 'string', minLength: 1, title: 'SQL', description: 'Use $1, $2… for values: never paste values into the SQL text' },
      parameters: { type: 'array', items: {}, default: [], title: 'Parameters', description: 'The values of $1, $2…, in order' },
      mode: {
        type: 'string',
        enum: ['rows', 'first', 'value'],
        default: 'rows',
        title: 'Output',
        description: 'rows: { rows, rowCount, command, columns }; first: the first row or null; value: the first column of the first row or null',
      },
      statementTimeoutMs: { type: 'integer', minimum: 1, maximum: 3_600_000, default: 30_000, title: 'Statement timeout (ms)' },
      maxRows: { type: 'integer', minimum: 1, maximum: 1_000_000, default: 10_000, title: 'Most rows', description: 'More rows than this fail the node: add a LIMIT, or page through the table' },
    },
  } as const,
  ui: {
    'ui:order': ['sql', 'parameters', 'mode', 'statementTimeoutMs', 'maxRows'],
    sql: { 'ui:widget': 'textarea', 'ui:options': { rows: 8 } },
  },
  credential: { type: 'postgres.connection', required: true },
  async handler(_input, args, ctx, credentials: PostgresConnection) {
    if (!credentials) throw new Error('postgres.query needs a postgres.connection credential');
    const started = performance.now();
    let result: pg.QueryResult;
    try {
      const answer = await withSession(credentials, { signal: ctx.signal, statementTimeoutMs: args.statementTimeoutMs ?? 30_000 }, (client) =>
        client.query({ text: args.sql, values: (args.parameters ?? []) as unknown[] }),
      );
      // Several statements without parameters answer one result each: the last one is the node's.
      result = Array.isArray(answer) ? (answer.at(-1) as pg.QueryResult) : answer;
    } catch (error) {
      if (ctx.signal.aborted) throw new Error('The query was canceled because the node was aborted (run canceled or node timed out)');
      if (error instanceof OpenTransactionError) throw error;
      throw new Error(describePostgresError(error, credentials));
    }
    const rows = result.rows ?? [];
    const maxRows = args.maxRows ?? 10_000;
    if (rows.length > maxRows) throw new Error(`The query returned ${rows.length} rows, more than the node's maxRows (${maxRows}): add a LIMIT, or raise maxRows`);
    ctx.log.info(`${result.command ?? 'query'}: ${result.rowCount ?? rows.length} row(s) in ${Math.round(performance.now() - started)} ms`);
    const columns = (result.fields ?? []).map((field) => field.name);
    switch (args.mode ?? 'rows') {
      case 'first':
        return rows.length ? toJsonValue(rows[0]) : null;
      case 'value':
        return rows.length && columns.length ? toJsonValue(rows[0][columns[0]!]) : null;
      default:
        return { rows: toJsonValue(rows), rowCount: result.rowCount ?? rows.length, command: result.command ?? null, columns };
    }
  },
});
