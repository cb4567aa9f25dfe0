import type { Knex } from 'knex';
import * as initial from './001_initial.js';
import * as runLeases from './002_run_leases.js';
import * as credentials from './003_credentials.js';
import * as triggers from './004_triggers.js';
import * as pluginPackages from './005_plugin_packages.js';

interface Migration {
  up(knex: Knex): Promise<void>;
  down(knex: Knex): Promise<void>;
}

/** Migrations are listed in code so that they load the same from sources (tests) and from dist. */
const migrations: Record<string, Migration> = {
  '001_initial': initial,
  '002_run_leases': runLeases,
  '003_credentials': credentials,
  '004_triggers': triggers,
  '005_plugin_packages': pluginPackages,
};

export const migrationSource: Knex.MigrationSource<string> = {
  getMigrations: async () => Object.keys(migrations).sort(),
  getMigrationName: (name) => name,
  getMigration: async (name) => migrations[name]!,
};
