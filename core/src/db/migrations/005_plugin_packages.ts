import type { Knex } from 'knex';

/**
 * Installed plugin packages keep their tarball in the database, so that every instance (a
 * worker on another machine, one started later) installs the same bytes without the registry.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('plugins', (t) => {
    t.binary('tarball');
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable('plugins', (t) => {
    t.dropColumn('tarball');
  });
}
