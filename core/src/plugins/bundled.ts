import fs from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { PluginDefinition } from '@piper/sdk';
import type { Logger } from 'pino';
import type { NodeTypeRegistry } from '../node-types/registry.js';

/** The first-party plugins shipped beside core: the workspace's plugins/ folder (also in the Docker image). */
export const BUNDLED_PLUGINS_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../plugins');

export interface LoadedPlugin {
  package: string;
  version: string;
  /** The plugin's id, from its definition; null when it did not load. */
  id: string | null;
  dir: string;
  /** The folder of its module federation UI, when it ships one and it is built. */
  uiDir: string | null;
  status: 'installed' | 'failed';
  error: string | null;
}

interface PiperManifest {
  name: string;
  version: string;
  piper?: { plugin?: string; ui?: string };
}

/** Imports a plugin package's entry (its package.json `piper.plugin`) and checks its shape. */
export async function importPlugin(dir: string): Promise<{ manifest: PiperManifest; plugin: PluginDefinition }> {
  const manifest = JSON.parse(await fs.readFile(path.join(dir, 'package.json'), 'utf8')) as PiperManifest;
  const entry = manifest.piper?.plugin;
  if (!entry) throw new Error(`${manifest.name} has no "piper": { "plugin": ... } in its package.json`);
  const file = path.resolve(dir, entry);
  if (!file.startsWith(dir + path.sep)) throw new Error(`${manifest.name}: the plugin entry ${entry} is outside the package`);
  const loaded = (await import(pathToFileURL(file).href)) as { default?: PluginDefinition };
  const plugin = loaded.default;
  if (!plugin || typeof plugin !== 'object' || typeof plugin.id !== 'string' || !Array.isArray(plugin.nodes)) {
    throw new Error(`${manifest.name}: ${entry} must export by default definePlugin({ id, version, nodes })`);
  }
  return { manifest, plugin };
}

async function exists(file: string): Promise<boolean> {
  return fs.access(file).then(
    () => true,
    () => false,
  );
}

/**
 * Registers every first-party plugin found in `dir`. One that is not built or fails to load
 * or validate is reported (and logged), never fatal: the server starts without it.
 */
export async function loadBundledPlugins(registry: NodeTypeRegistry, logger: Logger, dir = BUNDLED_PLUGINS_DIR): Promise<LoadedPlugin[]> {
  const names = await fs.readdir(dir).catch(() => [] as string[]);
  const loaded: LoadedPlugin[] = [];
  for (const name of names.sort()) {
    const pluginDir = path.join(dir, name);
    if (!(await exists(path.join(pluginDir, 'package.json')))) continue;
    const manifest = JSON.parse(await fs.readFile(path.join(pluginDir, 'package.json'), 'utf8')) as PiperManifest;
    if (!manifest.piper?.plugin) continue;
    const uiDir = manifest.piper.ui && (await exists(path.join(pluginDir, manifest.piper.ui, 'remoteEntry.js'))) ? path.join(pluginDir, manifest.piper.ui) : null;
    const record: LoadedPlugin = { package: manifest.name, version: manifest.version, id: null, dir: pluginDir, uiDir, status: 'installed', error: null };
    try {
      const { plugin } = await importPlugin(pluginDir);
      registry.register(plugin);
      record.id = plugin.id;
    } catch (error) {
      record.status = 'failed';
      record.error = (error as Error).message;
      logger.error({ plugin: manifest.name, err: error }, 'a first-party plugin failed to load (is it built? npm run build)');
    }
    loaded.push(record);
  }
  return loaded;
}
