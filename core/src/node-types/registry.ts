import type { AnyCredentialTypeDefinition, AnyNodeDefinition, PluginDefinition } from '@piper/sdk';
import { Ajv, type ValidateFunction } from 'ajv';
import addFormats from 'ajv-formats';

export interface RegisteredNodeType {
  definition: AnyNodeDefinition;
  plugin: { id: string; version: string };
  /** Validates resolved args and fills in their defaults. */
  validateArgs: ValidateFunction;
}

export interface RegisteredCredentialType {
  definition: AnyCredentialTypeDefinition;
  plugin: { id: string; version: string };
  validate: ValidateFunction;
}

export const TYPE_KEY = /^[a-z][a-zA-Z0-9]*(\.[a-zA-Z][a-zA-Z0-9]*)+$/;
const SEMVER = /^\d+\.\d+\.\d+(-[0-9A-Za-z.-]+)?$/;

export function compareSemver(a: string, b: string): number {
  const parse = (v: string) => v.split('-')[0]!.split('.').map(Number);
  const [x, y] = [parse(a), parse(b)];
  for (let i = 0; i < 3; i++) if (x[i] !== y[i]) return x[i]! - y[i]!;
  return a === b ? 0 : a.includes('-') ? -1 : b.includes('-') ? 1 : a.localeCompare(b);
}

/** How graphs find node types: the instance's, or an org's view that adds its script node types. */
export type NodeTypeLookup = Pick<NodeTypeRegistry, 'get' | 'versions' | 'latest'>;

/**
 * Every node type and credential type the instance knows, by type and version. Several
 * versions of one type live side by side: pipelines pin the version they were built with.
 */
export class NodeTypeRegistry {
  private readonly nodes = new Map<string, Map<string, RegisteredNodeType>>();
  private readonly credentials = new Map<string, RegisteredCredentialType>();
  private readonly ajv = new Ajv({ allErrors: true, useDefaults: true, strict: false });

  constructor() {
    addFormats.default(this.ajv);
  }

  /** Adds a plugin's node and credential types; throws, adding nothing, when one is invalid or taken. */
  register(plugin: PluginDefinition): void {
    const origin = { id: plugin.id, version: plugin.version };
    const nodes: RegisteredNodeType[] = [];
    for (const definition of plugin.nodes) {
      if (!TYPE_KEY.test(definition.type)) throw new Error(`${plugin.id}: node type "${definition.type}" is not a dotted name such as "acme.sendInvoice"`);
      if (!SEMVER.test(definition.version)) throw new Error(`${plugin.id}: ${definition.type} has version "${definition.version}", not semver`);
      if (typeof definition.handler !== 'function') throw new Error(`${plugin.id}: ${definition.type} has no handler function`);
      const existing = this.nodes.get(definition.type)?.get(definition.version);
      // Another version of the same plugin may carry a node type version unchanged: the newest plugin serves it.
      if (existing && existing.plugin.id !== plugin.id) throw new Error(`${plugin.id}: ${definition.type}@${definition.version} is already provided by ${existing.plugin.id}`);
      let validateArgs: ValidateFunction;
      try {
        validateArgs = this.ajv.compile(definition.args as object);
      } catch (error) {
        throw new Error(`${plugin.id}: the args schema of ${definition.type} is invalid: ${(error as Error).message}`);
      }
      nodes.push({ definition, plugin: origin, validateArgs });
    }
    const credentials: RegisteredCredentialType[] = [];
    for (const definition of plugin.credentialTypes ?? []) {
      const existing = this.credentials.get(definition.type);
      if (existing && existing.plugin.id !== plugin.id) throw new Error(`${plugin.id}: credential type ${definition.type} is already provided by ${existing.plugin.id}`);
      credentials.push({ definition, plugin: origin, validate: this.ajv.compile(definition.schema as object) });
    }
    for (const node of nodes) {
      const versions = this.nodes.get(node.definition.type) ?? new Map();
      versions.set(node.definition.version, node);
      this.nodes.set(node.definition.type, versions);
    }
    for (const credential of credentials) this.credentials.set(credential.definition.type, credential);
  }

  /** Removes what one version of a plugin added, except node type versions a newer version of it also carries. */
  unregister(pluginId: string, version: string): void {
    for (const [type, versions] of this.nodes) {
      for (const [nodeVersion, registered] of versions) {
        if (registered.plugin.id === pluginId && registered.plugin.version === version) versions.delete(nodeVersion);
      }
      if (versions.size === 0) this.nodes.delete(type);
    }
  }

  /** Compiles an args schema the way registered node types' are (defaults filled in); throws when it is invalid. */
  compileArgs(schema: object): ValidateFunction {
    return this.ajv.compile(schema);
  }

  get(type: string, version: string): RegisteredNodeType | undefined {
    return this.nodes.get(type)?.get(version);
  }

  versions(type: string): string[] {
    return [...(this.nodes.get(type)?.keys() ?? [])].sort(compareSemver);
  }

  latest(type: string): RegisteredNodeType | undefined {
    const versions = this.versions(type);
    return versions.length ? this.get(type, versions[versions.length - 1]!) : undefined;
  }

  credentialType(type: string): RegisteredCredentialType | undefined {
    return this.credentials.get(type);
  }

  /** The node types as the API and the editor see them: pure data, no handler. */
  listNodeTypes() {
    return [...this.nodes.values()].flatMap((versions) =>
      [...versions.values()].map(({ definition, plugin }) => ({
        type: definition.type,
        version: definition.version,
        name: definition.name,
        description: definition.description ?? null,
        category: definition.category ?? 'Other',
        runtime: definition.runtime ?? 'inline',
        inputs: definition.inputs ?? ['main'],
        outputs: definition.outputs ?? ['main'],
        dynamicOutputs: definition.dynamicOutputs ?? null,
        join: definition.join ?? 'all',
        argsSchema: definition.args,
        uiSchema: definition.ui ?? {},
        credential: definition.credential ?? null,
        plugin,
      })),
    );
  }

  listCredentialTypes() {
    return [...this.credentials.values()].map(({ definition, plugin }) => ({
      type: definition.type,
      name: definition.name,
      schema: definition.schema,
      uiSchema: definition.ui ?? {},
      secretFields: definition.secretFields,
      testable: typeof definition.test === 'function',
      plugin,
    }));
  }
}

/** The output handles of a node: its declared outputs plus those its args name (a switch's cases). */
export function outputHandles(definition: AnyNodeDefinition, args: unknown): string[] {
  const handles = [...(definition.outputs ?? ['main'])];
  const dynamic = definition.dynamicOutputs;
  if (dynamic && args && typeof args === 'object') {
    const list = (args as Record<string, unknown>)[dynamic.arg];
    if (Array.isArray(list)) {
      for (const item of list) {
        const handle = item && typeof item === 'object' ? (item as Record<string, unknown>)[dynamic.key] : undefined;
        if (typeof handle === 'string' && !handles.includes(handle)) handles.push(handle);
      }
    }
  }
  return handles;
}
