import { execFile } from 'node:child_process';
import { createHash, randomUUID } from 'node:crypto';
import fs from 'node:fs/promises';
import { readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import type { Logger } from 'pino';
import * as tar from 'tar';
import type { AuditService } from '../audit/audit.service.js';
import type { UserCaller } from '../auth/caller.js';
import type { Database } from '../db/database.js';
import { badRequest, conflict, HttpError, notFound } from '../http/errors.js';
import { compareSemver, type NodeTypeRegistry } from '../node-types/registry.js';
import type { EventBus } from '../runs/events.js';
import { importPlugin } from './bundled.js';
import type { PluginsService } from './plugins.service.js';

const run = promisify(execFile);
const MAX_TARBALL_BYTES = 50 * 1024 * 1024;
const PACKAGE_NAME = /^(@[a-z0-9][a-z0-9._-]*\/)?[a-z0-9][a-z0-9._-]*$/;
const VERSION_SPEC = /^[A-Za-z0-9.^~<>=*|x -]{1,64}$/;

interface InstalledRow {
  id: string;
  package: string;
  version: string;
  tarball: Buffer;
  manifest: { id: string | null } | null;
}

/** The host's @piper/sdk package folder: plugins import it as a peer, never their own copy. */
function hostSdkDir(): string {
  let dir = path.dirname(fileURLToPath(import.meta.resolve('@piper/sdk')));
  while (dir !== path.dirname(dir)) {
    try {
      if (JSON.parse(readFileSync(path.join(dir, 'package.json'), 'utf8')).name === '@piper/sdk') return dir;
    } catch {
      // no package.json here
    }
    dir = path.dirname(dir);
  }
  throw new Error('@piper/sdk is not installed beside core');
}

/**
 * Installs plugin packages at run time, from the npm registry (PIPER_NPM_REGISTRY, else npm's
 * own configuration) or from an uploaded .tgz: unpacked into PIPER_DATA_DIR/plugins, its
 * dependencies installed without install scripts, `@piper/sdk` linked to the host's, then
 * loaded and validated. A package that fails is refused with its error and nothing of it
 * stays loaded. The tarball is kept in the database and every instance loads it on notice.
 */
export class PluginInstaller {
  /** What this process loaded, by package@version: the plugin's id and definition version, to unload it. */
  private readonly loaded = new Map<string, { pluginId: string; pluginVersion: string }>();
  private syncing: Promise<void> = Promise.resolve();

  constructor(
    private readonly db: Database,
    private readonly audit: AuditService,
    private readonly registry: NodeTypeRegistry,
    private readonly plugins: PluginsService,
    private readonly events: EventBus,
    private readonly options: { dataDir: string; npmRegistry?: string; logger: Logger },
  ) {}

  private get root() {
    return path.join(this.options.dataDir, 'plugins');
  }

  /** One folder per package, version and content: modules load fresh when the same version comes with other bytes. */
  private dirOf(name: string, version: string, tarball: Buffer) {
    return path.join(this.root, `${name.replace('/', '+')}@${version}-${createHash('sha256').update(tarball).digest('hex').slice(0, 12)}`);
  }

  /** `npm pack` of a package from the registry, as bytes. */
  async fetch(name: string, version = 'latest'): Promise<Buffer> {
    if (!PACKAGE_NAME.test(name)) throw badRequest('Not an npm package name', { package: name });
    if (!VERSION_SPEC.test(version)) throw badRequest('Not a version or range', { version });
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'piper-pack-'));
    try {
      const args = ['pack', `${name}@${version}`, '--json', '--pack-destination', dir, ...(this.options.npmRegistry ? ['--registry', this.options.npmRegistry] : [])];
      let stdout: string;
      try {
        ({ stdout } = await run('npm', args, { cwd: dir, timeout: 120_000, maxBuffer: 16 * 1024 * 1024 }));
      } catch (error) {
        const message = String((error as { stderr?: string }).stderr ?? (error as Error).message).split('\n').filter((line) => /npm error/.test(line)).join(' ').slice(0, 500);
        throw new HttpError(400, 'plugin_unavailable', `The registry did not give ${name}@${version}: ${message || (error as Error).message}`);
      }
      const [packed] = JSON.parse(stdout) as Array<{ filename: string }>;
      return await fs.readFile(path.join(dir, packed!.filename));
    } finally {
      await fs.rm(dir, { recursive: true, force: true });
    }
  }

  /** Unpacks, installs and loads a tarball; refuses it (400 or 409) with the reason when it fails. */
  async install(caller: UserCaller, tarball: Buffer, source: 'registry' | 'upload') {
    if (tarball.length > MAX_TARBALL_BYTES) throw new HttpError(413, 'payload_too_large', `A plugin package may not exceed ${MAX_TARBALL_BYTES} bytes`);
    const staging = path.join(this.root, `.staging-${randomUUID()}`);
    let dir: string | undefined;
    try {
      const manifest = await this.unpack(tarball, staging);
      if (await this.db('plugins').where({ package: manifest.name, version: manifest.version }).first()) {
        throw conflict(`${manifest.name}@${manifest.version} is already installed`, { package: manifest.name, version: manifest.version });
      }
      dir = this.dirOf(manifest.name, manifest.version, tarball);
      await fs.rm(dir, { recursive: true, force: true });
      await fs.rename(path.join(staging, 'package'), dir);
      const pluginId = await this.load(dir, manifest.name, manifest.version);
      const [row] = await this.db.transaction(async (trx) => {
        const inserted = await trx('plugins')
          .insert({ package: manifest.name, version: manifest.version, source, status: 'installed', manifest: JSON.stringify({ id: pluginId }), tarball, installedBy: caller.principal.userId })
          .returning(['id', 'package', 'version']);
        // The instance admin's own org keeps the record of an instance-wide change.
        await this.audit.record(trx, caller, { orgId: caller.principal.orgId, action: 'plugin.installed', entityType: 'plugin', entityId: inserted[0].id, after: { package: manifest.name, version: manifest.version, source, pluginId } });
        return inserted;
      });
      await this.events.publish({ type: 'plugins' });
      return (await this.plugins.list(caller)).find((plugin) => plugin.id === row.id);
    } catch (error) {
      if (dir && !(error instanceof HttpError && error.status === 409)) await fs.rm(dir, { recursive: true, force: true });
      throw error;
    } finally {
      await fs.rm(staging, { recursive: true, force: true });
    }
  }

  private async unpack(tarball: Buffer, staging: string): Promise<{ name: string; version: string }> {
    await fs.mkdir(staging, { recursive: true });
    const file = path.join(staging, 'package.tgz');
    await fs.writeFile(file, tarball);
    try {
      // npm tarballs hold everything under package/; links and absolute paths are refused.
      await tar.x({ file, cwd: staging, strict: true, filter: (entry) => entry.startsWith('package/') && !entry.includes('..') });
    } catch (error) {
      throw badRequest(`Not a package tarball: ${(error as Error).message}`);
    }
    const manifest = JSON.parse(await fs.readFile(path.join(staging, 'package', 'package.json'), 'utf8').catch(() => '{}')) as { name?: string; version?: string; piper?: { plugin?: string }; dependencies?: Record<string, string> };
    if (!manifest.name || !PACKAGE_NAME.test(manifest.name) || !manifest.version) throw badRequest('The package has no valid name and version in package.json');
    if (!manifest.piper?.plugin) throw badRequest(`${manifest.name} is not a Piper plugin: its package.json has no "piper": { "plugin": ... }`);
    return { name: manifest.name, version: manifest.version };
  }

  /** Installs the package's dependencies, links the host SDK, imports and registers it. */
  private async load(dir: string, name: string, version: string): Promise<string> {
    const manifest = JSON.parse(await fs.readFile(path.join(dir, 'package.json'), 'utf8')) as { dependencies?: Record<string, string> };
    const dependencies = Object.keys(manifest.dependencies ?? {}).filter((dependency) => dependency !== '@piper/sdk');
    if (dependencies.length) {
      const args = ['install', '--omit=dev', '--omit=peer', '--ignore-scripts', '--no-audit', '--no-fund', '--no-package-lock', ...(this.options.npmRegistry ? ['--registry', this.options.npmRegistry] : [])];
      try {
        await run('npm', args, { cwd: dir, timeout: 300_000, maxBuffer: 16 * 1024 * 1024 });
      } catch (error) {
        throw new HttpError(400, 'plugin_invalid', `The dependencies of ${name}@${version} did not install: ${String((error as { stderr?: string }).stderr ?? '').slice(0, 500)}`);
      }
    }
    const sdkLink = path.join(dir, 'node_modules', '@piper', 'sdk');
    await fs.mkdir(path.dirname(sdkLink), { recursive: true });
    await fs.rm(sdkLink, { recursive: true, force: true });
    await fs.symlink(hostSdkDir(), sdkLink, 'dir');
    try {
      const { manifest: pkg, plugin } = await importPlugin(dir);
      this.registry.register(plugin);
      this.loaded.set(`${name}@${version}`, { pluginId: plugin.id, pluginVersion: plugin.version });
      const uiDir = pkg.piper?.ui ? path.join(dir, pkg.piper.ui) : null;
      const hasUi = uiDir !== null && (await fs.access(path.join(uiDir, 'remoteEntry.js')).then(() => true, () => false));
      this.plugins.loadedPackage({ package: name, version, id: plugin.id, dir, uiDir: hasUi ? uiDir : null, status: 'installed', error: null });
      return plugin.id;
    } catch (error) {
      throw new HttpError(400, 'plugin_invalid', `${name}@${version} cannot be loaded: ${(error as Error).message}`);
    }
  }

  /**
   * Loads every installed package this process has not loaded (at start, and when another
   * instance installs one), oldest version first, from the tarball the database keeps.
   */
  sync(): Promise<void> {
    this.syncing = this.syncing.then(async () => {
      const rows: InstalledRow[] = await this.db('plugins').whereIn('source', ['registry', 'upload']).where({ status: 'installed' }).select('id', 'package', 'version', 'tarball', 'manifest');
      rows.sort((a, b) => a.package.localeCompare(b.package) || compareSemver(a.version, b.version));
      for (const row of rows) {
        if (this.loaded.has(`${row.package}@${row.version}`)) continue;
        const dir = this.dirOf(row.package, row.version, row.tarball);
        try {
          const present = await fs.access(path.join(dir, 'package.json')).then(() => true, () => false);
          if (!present) {
            const staging = path.join(this.root, `.staging-${randomUUID()}`);
            try {
              await this.unpack(row.tarball, staging);
              await fs.rename(path.join(staging, 'package'), dir);
            } finally {
              await fs.rm(staging, { recursive: true, force: true });
            }
          }
          await this.load(dir, row.package, row.version);
        } catch (error) {
          this.options.logger.error({ plugin: `${row.package}@${row.version}`, err: error }, 'an installed plugin failed to load');
        }
      }
      // Versions removed elsewhere leave this process too.
      const kept = new Set(rows.map((row) => `${row.package}@${row.version}`));
      for (const [key, { pluginId, pluginVersion }] of [...this.loaded]) {
        if (kept.has(key)) continue;
        this.loaded.delete(key);
        this.registry.unregister(pluginId, pluginVersion);
        const at = key.lastIndexOf('@');
        this.plugins.loadedPackage({ package: key.slice(0, at), version: key.slice(at + 1), id: pluginId, dir: '', uiDir: null, status: 'failed', error: null });
      }
    });
    return this.syncing;
  }

  /**
   * Removes a plugin version, unless a node type version only it provides is used by a
   * published version of a pipeline that still exists (409, with those pipelines).
   */
  async remove(caller: UserCaller, id: string): Promise<void> {
    const row = await this.db('plugins').where({ id }).first('id', 'package', 'version', 'source', 'manifest', 'tarball');
    if (!row) throw notFound('Plugin');
    if (row.source === 'builtin') throw conflict('First-party plugins ship with Piper; disable them for your org instead');
    const loaded = this.loaded.get(`${row.package}@${row.version}`);
    // The newest version of a plugin serves a node type version several of its versions carry: those stay.
    const exclusive = loaded ? this.registry.listNodeTypes().filter((type) => type.plugin.id === loaded.pluginId && type.plugin.version === loaded.pluginVersion) : [];
    for (const type of exclusive) {
      const users: Array<{ id: string; name: string; orgId: string }> = await this.db('pipelineVersions')
        .join('pipelines', 'pipelines.id', 'pipelineVersions.pipelineId')
        .whereNull('pipelines.deletedAt')
        .whereRaw('jsonb_path_exists(pipeline_versions.graph, cast(? as jsonpath), jsonb_build_object(?::text, ?::text, ?::text, ?::text))', [
          '$.nodes[*] ? (@.type == $t && @.data.version == $v)',
          't',
          type.type,
          'v',
          type.version,
        ])
        .distinct('pipelines.id', 'pipelines.name', 'pipelines.orgId');
      if (users.length) {
        // Other orgs' pipelines are counted, never named.
        const own = users.filter((pipeline) => pipeline.orgId === caller.principal.orgId).map(({ id, name }) => ({ id, name }));
        throw conflict(`Published pipelines use ${type.type}@${type.version}, which only ${row.package}@${row.version} provides`, {
          nodeType: `${type.type}@${type.version}`,
          pipelines: own,
          otherOrgsPipelines: users.length - own.length,
        });
      }
    }
    await this.db.transaction(async (trx) => {
      await trx('plugins').where({ id }).delete();
      await this.audit.record(trx, caller, { orgId: caller.principal.orgId, action: 'plugin.removed', entityType: 'plugin', entityId: id, before: { package: row.package, version: row.version } });
    });
    if (row.tarball) await fs.rm(this.dirOf(row.package, row.version, row.tarball), { recursive: true, force: true });
    await this.sync();
    await this.events.publish({ type: 'plugins' });
  }
}
