import type { Knex } from 'knex';

/**
 * Production triggers of enabled, published pipelines: webhook routes (one pipeline per org
 * and path), the deliveries seen (idempotency by `webhook-id`), and schedules with their
 * next fire time, claimed by one scheduler at a time.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('webhook_routes', (t) => {
    t.uuid('org_id').notNullable().references('orgs.id').onDelete('CASCADE');
    t.text('path').notNullable();
    t.uuid('pipeline_id').notNullable().references('pipelines.id').onDelete('CASCADE');
    t.text('node_id').notNullable();
    t.integer('version').notNullable();
    t.uuid('credential_id');
    t.text('respond').notNullable();
    t.integer('timeout_ms').notNullable();
    t.primary(['org_id', 'path']);
    t.index(['pipeline_id']);
  });
  await knex.schema.createTable('webhook_deliveries', (t) => {
    t.uuid('org_id').notNullable().references('orgs.id').onDelete('CASCADE');
    t.text('path').notNullable();
    t.text('webhook_id').notNullable();
    t.uuid('run_id').notNullable().references('runs.id').onDelete('CASCADE');
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.primary(['org_id', 'path', 'webhook_id']);
    t.index(['created_at']);
  });
  await knex.schema.createTable('schedules', (t) => {
    t.uuid('pipeline_id').notNullable().references('pipelines.id').onDelete('CASCADE');
    t.text('node_id').notNullable();
    t.uuid('org_id').notNullable().references('orgs.id').onDelete('CASCADE');
    t.integer('version').notNullable();
    t.text('cron').notNullable();
    t.text('timezone').notNullable();
    t.boolean('catch_up').notNullable().defaultTo(false);
    t.timestamp('next_fire_at', { useTz: true }).notNullable();
    t.timestamp('last_fired_at', { useTz: true });
    t.primary(['pipeline_id', 'node_id']);
    t.index(['next_fire_at']);
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('schedules');
  await knex.schema.dropTable('webhook_deliveries');
  await knex.schema.dropTable('webhook_routes');
}
