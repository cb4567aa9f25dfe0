import knexFactory, { type Knex } from 'knex';
import { Model, knexSnakeCaseMappers } from 'objection';
import pg from 'pg';
import { migrationSource } from './migrations/index.js';

// bigint columns (log ids, sizes, counts) stay far below 2^53: read them as numbers.
pg.types.setTypeParser(pg.types.builtins.INT8, (value) => Number(value));

export type Database = Knex;

/** Code speaks camelCase, the schema snake_case: the mappers translate identifiers both ways. */
export function connect(url: string, poolMax = 20): Database {
  const db = knexFactory({
    client: 'pg',
    connection: url,
    pool: { min: 0, max: poolMax },
    acquireConnectionTimeout: 30_000,
    ...knexSnakeCaseMappers(),
  });
  Model.knex(db);
  return db;
}

/** Applies pending migrations; knex's lock table keeps concurrent starts from racing. */
export async function migrate(db: Database): Promise<void> {
  await db.migrate.latest({ migrationSource });
}

/**
 * The values of one column. (Knex's `pluck` reads the result by the snake_case name, which
 * the camelCase mappers have already renamed, so it yields undefined for such columns.)
 */
export async function values<T = string>(query: Knex.QueryBuilder, column: string): Promise<T[]> {
  const rows: Array<Record<string, T>> = await query.select(column);
  return rows.map((row) => row[column]!);
}
