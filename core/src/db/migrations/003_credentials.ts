import type { Knex } from 'knex';

/**
 * Credentials are wholly encrypted (no clear "public" part), and one credential per org and
 * type may be the default that nodes of that type use when they name none.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('credentials', (t) => {
    t.dropColumn('public_data');
    t.boolean('is_default').notNullable().defaultTo(false);
  });
  await knex.raw('create unique index credentials_default on credentials (org_id, type) where is_default');
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw('drop index if exists credentials_default');
  await knex.schema.alterTable('credentials', (t) => {
    t.dropColumn('is_default');
    t.jsonb('public_data').notNullable().defaultTo('{}');
  });
}
