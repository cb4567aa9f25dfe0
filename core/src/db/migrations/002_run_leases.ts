import type { Knex } from 'knex';

/** Fencing for durable execution: a worker that resumes a run takes a new lease; the old one's writes are refused. */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('runs', (t) => {
    t.integer('lease').notNullable().defaultTo(0);
    t.text('worker_id');
  });
  // Millisecond timestamps round-trip through JavaScript exactly, which keyset cursors rely on.
  await knex.raw("alter table runs alter column created_at set default date_trunc('milliseconds', now())");
  await knex.raw("create index runs_running_heartbeat on runs (heartbeat_at) where status = 'running'");
  await knex.raw("create index runs_org_running on runs (org_id) where status = 'running'");
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw('drop index if exists runs_org_running');
  await knex.raw('drop index if exists runs_running_heartbeat');
  await knex.schema.alterTable('runs', (t) => {
    t.dropColumn('worker_id');
    t.dropColumn('lease');
  });
}
