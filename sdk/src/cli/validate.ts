import fs from 'node:fs/promises';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { Ajv } from 'ajv';
import type { PluginDefinition } from '../index.js';

const PACKAGE_NAME = /^(@[a-z0-9][a-z0-9._-]*\/)?[a-z0-9][a-z0-9._-]*$/;
const TYPE_KEY = /^[a-z][a-zA-Z0-9]*(\.[a-zA-Z][a-zA-Z0-9]*)+$/;
const SEMVER = /^\d+\.\d+\.\d+(-[0-9A-Za-z.-]+)?$/;
const HANDLE = /^[A-Za-z][A-Za-z0-9_-]{0,63}$/;

/**
 * Checks a built plugin package as Piper will when it loads it: the manifest, the plugin
 * object, names, versions and schemas. Returns the problems; none means it will load.
 */
export async function validatePlugin(dir: string): Promise<string[]> {
  const problems: string[] = [];
  let manifest: { name?: string; version?: string; piper?: { plugin?: string; ui?: string }; peerDependencies?: Record<string, string>; dependencies?: Record<string, string> };
  try {
    manifest = JSON.parse(await fs.readFile(path.join(dir, 'package.json'), 'utf8'));
  } catch (error) {
    return [`package.json cannot be read: ${(error as Error).message}`];
  }
  if (!manifest.name || !PACKAGE_NAME.test(manifest.name)) problems.push(`package.json: "${manifest.name}" is not a valid npm package name`);
  if (!manifest.version || !SEMVER.test(manifest.version)) problems.push(`package.json: version "${manifest.version}" is not semver`);
  if (manifest.dependencies?.['@piper/sdk']) problems.push('package.json: @piper/sdk must be a peerDependency (the host provides it), not a dependency');
  const entry = manifest.piper?.plugin;
  if (!entry) return [...problems, 'package.json: "piper": { "plugin": "dist/index.js" } is missing'];
  const file = path.resolve(dir, entry);
  if (!file.startsWith(path.resolve(dir) + path.sep)) return [...problems, `piper.plugin "${entry}" is outside the package`];
  let plugin: PluginDefinition | undefined;
  try {
    plugin = ((await import(pathToFileURL(file).href)) as { default?: PluginDefinition }).default;
  } catch (error) {
    return [...problems, `${entry} cannot be imported (did you build?): ${(error as Error).message}`];
  }
  if (!plugin || typeof plugin !== 'object' || typeof plugin.id !== 'string' || !Array.isArray(plugin.nodes)) {
    return [...problems, `${entry} must export by default definePlugin({ id, version, nodes })`];
  }
  if (!SEMVER.test(plugin.version)) problems.push(`plugin ${plugin.id}: version "${plugin.version}" is not semver`);
  const ajv = new Ajv({ strict: false, allErrors: true });
  const seen = new Set<string>();
  for (const node of plugin.nodes) {
    const where = `node ${node.type ?? '?'}@${node.version ?? '?'}`;
    if (!TYPE_KEY.test(node.type ?? '')) problems.push(`${where}: the type must be a dotted name such as "acme.sendInvoice"`);
    if (node.type?.startsWith('core.')) problems.push(`${where}: "core." belongs to Piper's built-in nodes`);
    if (!SEMVER.test(node.version ?? '')) problems.push(`${where}: the version is not semver`);
    if (seen.has(`${node.type}@${node.version}`)) problems.push(`${where}: defined twice`);
    seen.add(`${node.type}@${node.version}`);
    if (!node.name) problems.push(`${where}: a name is required`);
    if (typeof node.handler !== 'function') problems.push(`${where}: the handler is not a function`);
    if ((node.args as { type?: unknown })?.type !== 'object') problems.push(`${where}: args must be a JSON Schema of type "object"`);
    try {
      ajv.compile(node.args as object);
    } catch (error) {
      problems.push(`${where}: the args schema is invalid: ${(error as Error).message}`);
    }
    for (const handle of [...(node.inputs ?? []), ...(node.outputs ?? [])]) if (!HANDLE.test(handle)) problems.push(`${where}: "${handle}" is not a valid handle name`);
  }
  for (const credential of plugin.credentialTypes ?? []) {
    const where = `credential type ${credential.type}`;
    if (!TYPE_KEY.test(credential.type ?? '')) problems.push(`${where}: the type must be a dotted name`);
    try {
      ajv.compile(credential.schema as object);
    } catch (error) {
      problems.push(`${where}: the schema is invalid: ${(error as Error).message}`);
    }
    const properties = propertyNames(credential.schema as JsonSchema);
    for (const field of credential.secretFields ?? []) if (!properties.has(field)) problems.push(`${where}: secret field "${field}" is not in the schema`);
  }
  if (manifest.piper?.ui) {
    const remote = path.join(dir, manifest.piper.ui, 'remoteEntry.js');
    if (!(await fs.access(remote).then(() => true, () => false))) problems.push(`piper.ui: ${manifest.piper.ui}/remoteEntry.js is missing (build the UI)`);
  }
  return problems;
}

type JsonSchema = { properties?: object; allOf?: JsonSchema[]; anyOf?: JsonSchema[]; oneOf?: JsonSchema[]; then?: JsonSchema; else?: JsonSchema };

/** The property names an object schema can have: its own, and those of its conditional and combined branches. */
function propertyNames(schema: JsonSchema | undefined, names = new Set<string>()): Set<string> {
  if (!schema || typeof schema !== 'object') return names;
  for (const name of Object.keys(schema.properties ?? {})) names.add(name);
  for (const branch of [...(schema.allOf ?? []), ...(schema.anyOf ?? []), ...(schema.oneOf ?? []), schema.then, schema.else]) propertyNames(branch, names);
  return names;
}
