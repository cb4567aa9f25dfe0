import type { Knex } from 'knex';
import type { AuditService } from '../audit/audit.service.js';
import type { UserCaller } from '../auth/caller.js';
import type { Database } from '../db/database.js';
import { notFound } from '../http/errors.js';
import type { NodeTypeRegistry } from '../node-types/registry.js';
import type { Graph } from '../pipelines/graph.js';
import type { LoadedPlugin } from './bundled.js';

interface PluginRow {
  id: string;
  package: string;
  version: string;
  source: 'builtin' | 'registry' | 'upload';
  status: 'installed' | 'failed';
  error: string | null;
  manifest: { id: string | null } | null;
  enabled: boolean;
  createdAt: Date;
}

/**
 * The plugins of the instance and their enablement per org. First-party plugins are recorded
 * at start (with their load error, if any); an org admin may disable a plugin for the org,
 * which hides its node types from the org's editor and fails validation of nodes using them.
 */
export class PluginsService {
  /** Plugins loaded in this process (first-party and installed), newest last. */
  private loaded: LoadedPlugin[] = [];

  constructor(
    private readonly db: Database,
    private readonly audit: AuditService,
    private readonly registry: NodeTypeRegistry,
  ) {}

  /** Records the first-party plugins this process loaded (one row per package and version). */
  async recordBundled(plugins: LoadedPlugin[]): Promise<void> {
    this.loaded.push(...plugins);
    for (const plugin of plugins) {
      await this.db('plugins')
        .insert({ package: plugin.package, version: plugin.version, source: 'builtin', status: plugin.status, error: plugin.error, manifest: JSON.stringify({ id: plugin.id }) })
        .onConflict(['package', 'version'])
        .merge(['status', 'error', 'manifest']);
    }
  }

  /** Notes an installed package this process loaded, or unloaded. */
  loadedPackage(plugin: LoadedPlugin): void {
    this.loaded = this.loaded.filter((other) => !(other.package === plugin.package && other.version === plugin.version));
    if (plugin.status === 'installed') this.loaded.push(plugin);
  }

  /** The folder of a loaded plugin's UI, by plugin id and package version. */
  uiDir(pluginId: string, version: string): string | null {
    return this.loaded.find((plugin) => plugin.id === pluginId && plugin.version === version)?.uiDir ?? null;
  }

  /** The node types a graph uses, with their plugins' UIs (what renders their outputs). */
  nodeTypesOf(graph: Graph) {
    const used = new Map(graph.nodes.map((node) => [`${node.type}@${node.data?.version}`, node]));
    return [...used.values()].flatMap((node) => {
      const registered = node.data?.version ? this.registry.get(node.type, node.data.version) : undefined;
      if (!registered) return [];
      const { definition, plugin } = registered;
      return [{ type: definition.type, version: definition.version, name: definition.name, plugin: { ...plugin, ui: this.uiOf(plugin.id) } }];
    });
  }

  /** Where the editor loads a plugin's UI from (module federation), when it ships one. */
  uiOf(pluginId: string): { remoteEntry: string; name: string } | null {
    const plugin = this.loaded.findLast((loaded) => loaded.id === pluginId && loaded.uiDir);
    if (!plugin) return null;
    return { remoteEntry: `/plugin-ui/${encodeURIComponent(pluginId)}/${plugin.version}/remoteEntry.js`, name: uiName(pluginId) };
  }

  /** Plugin ids (as their definitions name them) disabled for the org. */
  async disabledFor(orgId: string, db: Knex | Knex.Transaction = this.db): Promise<Set<string>> {
    const rows: Array<{ manifest: PluginRow['manifest'] }> = await db('orgPlugins')
      .join('plugins', 'plugins.id', 'orgPlugins.pluginId')
      .where({ 'orgPlugins.orgId': orgId, 'orgPlugins.enabled': false })
      .select('plugins.manifest');
    return new Set(rows.map((row) => row.manifest?.id).filter((id): id is string => Boolean(id)));
  }

  /** Whether a node type's plugin is enabled for the org, for validation and listing. */
  async enabledCheck(orgId: string): Promise<(type: string, version: string) => boolean> {
    const disabled = await this.disabledFor(orgId);
    if (disabled.size === 0) return () => true;
    return (type, version) => {
      const registered = this.registry.get(type, version);
      return !registered || !disabled.has(registered.plugin.id);
    };
  }

  async list(caller: UserCaller) {
    const rows: PluginRow[] = await this.db('plugins').orderBy(['package', 'version']);
    const disabled = await this.disabledFor(caller.principal.orgId);
    return rows.map((row) => this.present(row, disabled));
  }

  private present(row: PluginRow, disabled: Set<string>) {
    const pluginId = row.manifest?.id ?? null;
    const nodeTypes = pluginId
      ? this.registry
          .listNodeTypes()
          .filter((type) => type.plugin.id === pluginId)
          .map((type) => ({ type: type.type, version: type.version }))
      : [];
    return {
      id: row.id,
      package: row.package,
      version: row.version,
      pluginId,
      source: row.source,
      status: row.status,
      error: row.error,
      enabled: row.enabled && !(pluginId && disabled.has(pluginId)),
      ui: pluginId && this.uiDir(pluginId, row.version) ? { remoteEntry: `/plugin-ui/${encodeURIComponent(pluginId)}/${row.version}/remoteEntry.js`, name: uiName(pluginId) } : null,
      nodeTypes,
      installedAt: row.createdAt,
    };
  }

  /** Enables or disables a plugin for the caller's org. */
  async setEnabled(caller: UserCaller, id: string, enabled: boolean) {
    const orgId = caller.principal.orgId;
    return this.db.transaction(async (trx) => {
      const row: PluginRow | undefined = await trx('plugins').where({ id }).first();
      if (!row) throw notFound('Plugin');
      const before = await trx('orgPlugins').where({ orgId, pluginId: id }).first('enabled');
      await trx('orgPlugins').insert({ orgId, pluginId: id, enabled }).onConflict(['orgId', 'pluginId']).merge(['enabled']);
      await this.audit.record(trx, caller, { orgId, action: 'plugin.org_enablement_changed', entityType: 'plugin', entityId: id, before: { enabled: before?.enabled ?? true }, after: { enabled } });
      return this.present(row, await this.disabledFor(orgId, trx));
    });
  }
}

/** The module federation name of a plugin's UI remote: its id as an identifier. */
export function uiName(pluginId: string): string {
  return pluginId.replace(/^@/, '').replace(/[^A-Za-z0-9_]/g, '_');
}
