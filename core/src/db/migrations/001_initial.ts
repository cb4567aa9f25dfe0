import type { Knex } from 'knex';

/** The whole data model: tenancy and access, pipelines and their runs, plugins, credentials, audit. */
export async function up(knex: Knex): Promise<void> {
  await knex.raw('create extension if not exists pgcrypto');

  const id = (t: Knex.CreateTableBuilder) => t.uuid('id').primary().defaultTo(knex.raw('gen_random_uuid()'));
  const createdAt = (t: Knex.CreateTableBuilder) => t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
  const orgId = (t: Knex.CreateTableBuilder) => t.uuid('org_id').notNullable().references('orgs.id').onDelete('CASCADE');

  await knex.schema.createTable('orgs', (t) => {
    id(t);
    t.text('slug').notNullable().unique();
    t.text('name').notNullable();
    createdAt(t);
  });

  await knex.schema.createTable('users', (t) => {
    id(t);
    orgId(t);
    t.text('email').notNullable();
    t.text('name').notNullable();
    t.text('role').notNullable().checkIn(['admin', 'manager', 'client']);
    t.boolean('instance_admin').notNullable().defaultTo(false);
    t.text('password_hash').notNullable();
    t.boolean('disabled').notNullable().defaultTo(false);
    createdAt(t);
    t.timestamp('updated_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.timestamp('deleted_at', { useTz: true });
    t.index(['org_id']);
  });
  await knex.raw('create unique index users_email_unique on users (lower(email)) where deleted_at is null');

  await knex.schema.createTable('sessions', (t) => {
    id(t);
    orgId(t);
    t.uuid('user_id').notNullable().references('users.id').onDelete('CASCADE');
    createdAt(t);
    t.timestamp('expires_at', { useTz: true }).notNullable();
    t.timestamp('revoked_at', { useTz: true });
    t.text('ip');
    t.text('user_agent');
    t.index(['user_id']);
  });

  await knex.schema.createTable('password_reset_tokens', (t) => {
    id(t);
    t.uuid('user_id').notNullable().references('users.id').onDelete('CASCADE');
    t.text('token_hash').notNullable().unique();
    createdAt(t);
    t.timestamp('expires_at', { useTz: true }).notNullable();
    t.timestamp('used_at', { useTz: true });
  });

  await knex.schema.createTable('rate_limits', (t) => {
    t.text('key').primary();
    t.timestamp('window_start', { useTz: true }).notNullable();
    t.integer('count').notNullable();
  });

  await knex.schema.createTable('outbox_emails', (t) => {
    id(t);
    t.uuid('org_id').references('orgs.id').onDelete('CASCADE');
    t.text('to').notNullable();
    t.text('subject').notNullable();
    t.text('body').notNullable();
    t.text('kind').notNullable();
    createdAt(t);
    t.timestamp('sent_at', { useTz: true });
    t.text('error');
    t.index(['org_id', 'created_at']);
  });

  await knex.schema.createTable('groups', (t) => {
    id(t);
    orgId(t);
    t.text('name').notNullable();
    t.text('description');
    createdAt(t);
    t.unique(['org_id', 'name']);
  });

  await knex.schema.createTable('group_members', (t) => {
    orgId(t);
    t.uuid('group_id').notNullable().references('groups.id').onDelete('CASCADE');
    t.uuid('user_id').notNullable().references('users.id').onDelete('CASCADE');
    t.primary(['group_id', 'user_id']);
    t.index(['user_id']);
  });

  await knex.schema.createTable('manager_clients', (t) => {
    orgId(t);
    t.uuid('manager_id').notNullable().references('users.id').onDelete('CASCADE');
    t.uuid('client_id').notNullable().references('users.id').onDelete('CASCADE');
    t.primary(['manager_id', 'client_id']);
    t.index(['client_id']);
  });

  await knex.schema.createTable('service_accounts', (t) => {
    id(t);
    orgId(t);
    t.text('name').notNullable();
    t.text('token_hash').notNullable().unique();
    t.text('token_prefix').notNullable();
    t.uuid('created_by').references('users.id').onDelete('SET NULL');
    createdAt(t);
    t.timestamp('last_used_at', { useTz: true });
    t.timestamp('revoked_at', { useTz: true });
  });

  await knex.schema.createTable('service_account_groups', (t) => {
    orgId(t);
    t.uuid('service_account_id').notNullable().references('service_accounts.id').onDelete('CASCADE');
    t.uuid('group_id').notNullable().references('groups.id').onDelete('CASCADE');
    t.primary(['service_account_id', 'group_id']);
  });

  await knex.schema.createTable('plugins', (t) => {
    id(t);
    t.text('package').notNullable();
    t.text('version').notNullable();
    t.text('source').notNullable().checkIn(['builtin', 'registry', 'upload']);
    t.text('status').notNullable().checkIn(['installed', 'failed']);
    t.text('error');
    t.jsonb('manifest');
    t.boolean('enabled').notNullable().defaultTo(true);
    t.uuid('installed_by').references('users.id').onDelete('SET NULL');
    createdAt(t);
    t.unique(['package', 'version']);
  });

  await knex.schema.createTable('org_plugins', (t) => {
    orgId(t);
    t.uuid('plugin_id').notNullable().references('plugins.id').onDelete('CASCADE');
    t.boolean('enabled').notNullable();
    t.primary(['org_id', 'plugin_id']);
  });

  // Node types offered by plugins (org_id null) and script node types defined in the browser (org_id set).
  await knex.schema.createTable('node_types', (t) => {
    id(t);
    t.uuid('org_id').references('orgs.id').onDelete('CASCADE');
    t.uuid('plugin_id').references('plugins.id').onDelete('CASCADE');
    t.text('type').notNullable();
    t.text('version').notNullable();
    t.text('name').notNullable();
    t.text('category');
    t.text('runtime').notNullable();
    t.jsonb('definition').notNullable();
    t.text('language');
    t.text('code');
    t.text('trust').checkIn(['restricted', 'trusted']);
    t.uuid('created_by').references('users.id').onDelete('SET NULL');
    createdAt(t);
  });
  await knex.raw(
    "create unique index node_types_unique on node_types (coalesce(org_id, '00000000-0000-0000-0000-000000000000'::uuid), type, version)",
  );

  await knex.schema.createTable('credentials', (t) => {
    id(t);
    orgId(t);
    t.uuid('group_id').references('groups.id').onDelete('SET NULL');
    t.text('name').notNullable();
    t.text('type').notNullable();
    t.binary('ciphertext').notNullable();
    t.binary('iv').notNullable();
    t.binary('auth_tag').notNullable();
    t.binary('wrapped_key').notNullable();
    t.jsonb('public_data').notNullable().defaultTo('{}');
    t.uuid('created_by').references('users.id').onDelete('SET NULL');
    createdAt(t);
    t.timestamp('updated_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.unique(['org_id', 'name']);
  });

  await knex.schema.createTable('pipelines', (t) => {
    id(t);
    orgId(t);
    t.uuid('group_id').notNullable().references('groups.id');
    t.uuid('client_id').references('users.id').onDelete('SET NULL');
    t.text('name').notNullable();
    t.text('description');
    t.boolean('enabled').notNullable().defaultTo(true);
    t.jsonb('graph').notNullable();
    t.integer('latest_version');
    t.uuid('created_by').references('users.id').onDelete('SET NULL');
    createdAt(t);
    t.timestamp('updated_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.timestamp('deleted_at', { useTz: true });
    t.index(['org_id', 'group_id']);
  });

  await knex.schema.createTable('pipeline_versions', (t) => {
    id(t);
    orgId(t);
    t.uuid('pipeline_id').notNullable().references('pipelines.id').onDelete('CASCADE');
    t.integer('version').notNullable();
    t.jsonb('graph').notNullable();
    t.uuid('created_by').references('users.id').onDelete('SET NULL');
    createdAt(t);
    t.unique(['pipeline_id', 'version']);
  });

  await knex.schema.createTable('runs', (t) => {
    id(t);
    orgId(t);
    t.uuid('pipeline_id').notNullable().references('pipelines.id').onDelete('CASCADE');
    t.integer('version');
    t.text('mode').notNullable().checkIn(['test', 'production']);
    t.text('status').notNullable().checkIn(['queued', 'running', 'succeeded', 'failed', 'canceled']);
    t.text('trigger').notNullable().checkIn(['manual', 'api', 'webhook', 'schedule', 'retry']);
    t.jsonb('graph').notNullable();
    t.jsonb('input');
    t.jsonb('output');
    t.jsonb('error');
    t.uuid('client_id').references('users.id').onDelete('SET NULL');
    t.text('created_by_type');
    t.uuid('created_by_id');
    t.uuid('retry_of').references('runs.id').onDelete('SET NULL');
    t.boolean('cancel_requested').notNullable().defaultTo(false);
    createdAt(t);
    t.timestamp('started_at', { useTz: true });
    t.timestamp('finished_at', { useTz: true });
    t.timestamp('heartbeat_at', { useTz: true });
    t.index(['org_id', 'pipeline_id', 'created_at']);
    t.index(['org_id', 'client_id', 'created_at']);
    t.index(['status']);
  });

  await knex.schema.createTable('node_runs', (t) => {
    id(t);
    orgId(t);
    t.uuid('run_id').notNullable().references('runs.id').onDelete('CASCADE');
    t.text('node_id').notNullable();
    t.text('status').notNullable().checkIn(['pending', 'queued', 'running', 'succeeded', 'failed', 'skipped', 'canceled']);
    t.jsonb('input');
    t.jsonb('output');
    t.jsonb('error');
    t.text('handle');
    t.integer('attempts').notNullable().defaultTo(0);
    t.timestamp('started_at', { useTz: true });
    t.timestamp('finished_at', { useTz: true });
    t.unique(['run_id', 'node_id']);
  });

  await knex.schema.createTable('node_attempts', (t) => {
    id(t);
    orgId(t);
    t.uuid('run_id').notNullable().references('runs.id').onDelete('CASCADE');
    t.uuid('node_run_id').notNullable().references('node_runs.id').onDelete('CASCADE');
    t.text('node_id').notNullable();
    t.integer('attempt').notNullable();
    t.text('status').notNullable().checkIn(['running', 'succeeded', 'failed', 'canceled']);
    t.jsonb('input');
    t.jsonb('output');
    t.jsonb('error');
    t.text('worker_id');
    t.timestamp('started_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.timestamp('finished_at', { useTz: true });
    t.unique(['node_run_id', 'attempt']);
  });

  await knex.schema.createTable('run_logs', (t) => {
    t.bigIncrements('id');
    orgId(t);
    t.uuid('run_id').notNullable().references('runs.id').onDelete('CASCADE');
    t.text('node_id');
    t.integer('attempt');
    t.text('stream').notNullable();
    t.text('line').notNullable();
    t.timestamp('at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.index(['run_id', 'id']);
  });

  await knex.schema.createTable('artifacts', (t) => {
    id(t);
    orgId(t);
    t.uuid('run_id').notNullable().references('runs.id').onDelete('CASCADE');
    t.text('node_id').notNullable();
    t.integer('attempt').notNullable();
    t.text('name').notNullable();
    t.text('content_type').notNullable();
    t.bigInteger('size').notNullable();
    t.text('storage_path').notNullable();
    createdAt(t);
    t.index(['run_id']);
  });

  await knex.schema.createTable('audit_events', (t) => {
    id(t);
    // Total order for keyset pagination (created_at ties and loses precision in JavaScript).
    t.bigIncrements('seq', { primaryKey: false }).unique();
    t.uuid('org_id').references('orgs.id').onDelete('CASCADE');
    t.text('actor_type').notNullable().checkIn(['user', 'service', 'system', 'anonymous']);
    t.uuid('actor_id');
    t.text('action').notNullable();
    t.text('entity_type').notNullable();
    t.text('entity_id');
    t.jsonb('before');
    t.jsonb('after');
    t.text('ip');
    t.text('request_id');
    createdAt(t);
    t.index(['org_id', 'seq']);
    t.index(['org_id', 'entity_type', 'entity_id']);
  });

  await knex.schema.createTable('org_settings', (t) => {
    t.uuid('org_id').primary().references('orgs.id').onDelete('CASCADE');
    t.jsonb('data').notNullable().defaultTo('{}');
    t.timestamp('updated_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
  });

  await knex.schema.createTable('instance_settings', (t) => {
    t.text('key').primary();
    t.jsonb('value').notNullable();
  });
}

export async function down(knex: Knex): Promise<void> {
  for (const table of [
    'instance_settings', 'org_settings', 'audit_events', 'artifacts', 'run_logs', 'node_attempts', 'node_runs', 'runs',
    'pipeline_versions', 'pipelines', 'credentials', 'node_types', 'org_plugins', 'plugins', 'service_account_groups',
    'service_accounts', 'manager_clients', 'group_members', 'groups', 'outbox_emails', 'rate_limits',
    'password_reset_tokens', 'sessions', 'users', 'orgs',
  ]) {
    await knex.schema.dropTableIfExists(table);
  }
}
