import { branch, type AnyNodeDefinition, type Json, type NodeContext } from '@piper/sdk';
import { credentialEnv } from '@piper/nodes';
import type { AuditService } from '../audit/audit.service.js';
import type { UserCaller } from '../auth/caller.js';
import type { Database } from '../db/database.js';
import { conflict, invalid } from '../http/errors.js';
import { compareSemver, TYPE_KEY, type NodeTypeLookup, type NodeTypeRegistry, type RegisteredNodeType } from './registry.js';

export interface ScriptTypeInput {
  type: string;
  name: string;
  description?: string | null;
  category?: string;
  language: 'python' | 'javascript' | 'bash';
  code: string;
  argsSchema?: Record<string, unknown>;
  uiSchema?: Record<string, unknown>;
  inputs?: string[];
  outputs?: string[];
  trust?: 'restricted' | 'trusted';
  image?: string | null;
}

interface ScriptTypeRow {
  id: string;
  orgId: string;
  type: string;
  version: string;
  name: string;
  category: string | null;
  language: ScriptTypeInput['language'];
  code: string;
  trust: 'restricted' | 'trusted';
  definition: { description: string | null; argsSchema: Record<string, unknown>; uiSchema: Record<string, unknown>; inputs: string[]; outputs: string[]; image: string | null };
  createdAt: Date;
}

const EMPTY_ARGS = { type: 'object', properties: {} };

/**
 * Script node types an org admin defines in the browser: code, language, args and UI schema,
 * inputs and outputs, trust and image. Each change is a new version (1.0.0, 2.0.0, ...), kept
 * beside the older ones so pipelines keep what they pinned. They run like `core.script`, in a
 * fresh container; a node with several outputs returns `{ "handle": ..., "output": ... }`.
 * Only their own org sees or runs them.
 */
export class ScriptNodeTypes {
  /** Compiled versions by row id: a version never changes once stored. */
  private readonly compiled = new Map<string, RegisteredNodeType>();

  constructor(
    private readonly db: Database,
    private readonly audit: AuditService,
    private readonly registry: NodeTypeRegistry,
  ) {}

  private async rows(orgId: string): Promise<ScriptTypeRow[]> {
    return this.db('nodeTypes').where({ orgId }).whereNull('pluginId').orderBy([{ column: 'type' }, { column: 'createdAt' }]);
  }

  private compile(row: ScriptTypeRow): RegisteredNodeType {
    let registered = this.compiled.get(row.id);
    if (registered) return registered;
    const { definition: stored } = row;
    const multiple = stored.outputs.length > 1;
    const definition: AnyNodeDefinition = {
      type: row.type,
      version: row.version,
      name: row.name,
      description: stored.description ?? undefined,
      category: row.category ?? 'Scripts',
      runtime: 'container',
      args: stored.argsSchema,
      ui: stored.uiSchema,
      inputs: stored.inputs,
      outputs: stored.outputs,
      credential: { type: '*', required: false },
      async handler(input: unknown, args: unknown, ctx: NodeContext, credentials: Record<string, unknown> | undefined) {
        const output = await ctx.sandbox.script({
          language: row.language,
          code: row.code,
          trust: row.trust,
          input: (input ?? null) as Json,
          args: (args ?? {}) as Json,
          env: credentialEnv(credentials),
          ...(stored.image ? { image: stored.image } : {}),
        });
        if (!multiple) return output;
        const result = output as { handle?: unknown; output?: Json } | null;
        if (!result || typeof result.handle !== 'string' || !stored.outputs.includes(result.handle)) {
          throw new Error(`A script with several outputs returns { "handle": one of ${stored.outputs.join(', ')}, "output": ... }`);
        }
        return branch(result.handle, result.output ?? null);
      },
    } as AnyNodeDefinition;
    registered = { definition, plugin: { id: `org:${row.orgId}`, version: row.version }, validateArgs: this.registry.compileArgs(stored.argsSchema) };
    this.compiled.set(row.id, registered);
    return registered;
  }

  /** The instance's node types plus the org's script node types. */
  async lookup(orgId: string): Promise<NodeTypeLookup> {
    const own = new Map<string, Map<string, RegisteredNodeType>>();
    for (const row of await this.rows(orgId)) {
      const versions = own.get(row.type) ?? new Map<string, RegisteredNodeType>();
      versions.set(row.version, this.compile(row));
      own.set(row.type, versions);
    }
    if (own.size === 0) return this.registry;
    const registry = this.registry;
    const versions = (type: string) => (own.has(type) ? [...own.get(type)!.keys()].sort(compareSemver) : registry.versions(type));
    return {
      get: (type, version) => own.get(type)?.get(version) ?? registry.get(type, version),
      versions,
      latest: (type) => {
        const all = versions(type);
        return all.length ? (own.get(type)?.get(all[all.length - 1]!) ?? registry.latest(type)) : undefined;
      },
    };
  }

  /** The org's script node types as `/api/node-types` lists them. */
  async list(orgId: string) {
    return (await this.rows(orgId)).map((row) => this.present(row));
  }

  private present(row: ScriptTypeRow) {
    const { definition } = row;
    return {
      type: row.type,
      version: row.version,
      name: row.name,
      description: definition.description,
      category: row.category ?? 'Scripts',
      runtime: 'container',
      inputs: definition.inputs,
      outputs: definition.outputs,
      dynamicOutputs: null,
      join: 'all',
      argsSchema: definition.argsSchema,
      uiSchema: definition.uiSchema,
      credential: { type: '*', required: false },
      plugin: null,
      script: { language: row.language, code: row.code, trust: row.trust, image: definition.image, createdAt: row.createdAt },
    };
  }

  /** Stores a new version of a script node type (the first is 1.0.0). */
  async create(caller: UserCaller, input: ScriptTypeInput) {
    const orgId = caller.principal.orgId;
    if (!TYPE_KEY.test(input.type)) throw invalid({ type: 'a dotted name such as "acme.cleanOrders"' }, 'Invalid node type name');
    if (input.type.startsWith('core.') || this.registry.versions(input.type).length) {
      throw conflict(`${input.type} is a node type of Piper or of an installed plugin`, { type: input.type });
    }
    const argsSchema = input.argsSchema ?? EMPTY_ARGS;
    if (argsSchema.type !== 'object') throw invalid({ argsSchema: 'must be a JSON Schema of type "object"' }, 'Invalid args schema');
    try {
      this.registry.compileArgs(structuredClone(argsSchema));
    } catch (error) {
      throw invalid({ argsSchema: (error as Error).message }, 'Invalid args schema');
    }
    return this.db.transaction(async (trx) => {
      // One version number at a time per org and type.
      await trx.raw('select pg_advisory_xact_lock(hashtext(?))', [`node-type:${orgId}:${input.type}`]);
      const previous: string[] = (await trx('nodeTypes').where({ orgId, type: input.type }).select('version')).map((row: { version: string }) => row.version);
      const major = previous.reduce((max, version) => Math.max(max, Number(version.split('.')[0])), 0) + 1;
      const [row]: ScriptTypeRow[] = await trx('nodeTypes')
        .insert({
          orgId,
          type: input.type,
          version: `${major}.0.0`,
          name: input.name,
          category: input.category ?? null,
          runtime: 'container',
          language: input.language,
          code: input.code,
          trust: input.trust ?? 'restricted',
          createdBy: caller.principal.userId,
          definition: JSON.stringify({
            description: input.description ?? null,
            argsSchema,
            uiSchema: input.uiSchema ?? {},
            inputs: input.inputs ?? ['main'],
            outputs: input.outputs ?? ['main'],
            image: input.image ?? null,
          }),
        })
        .returning('*');
      const presented = this.present(row!);
      const { script, ...summary } = presented;
      await this.audit.record(trx, caller, {
        orgId,
        action: 'node_type.created',
        entityType: 'node_type',
        entityId: row!.id,
        after: { ...summary, language: script.language, trust: script.trust, image: script.image },
      });
      return presented;
    });
  }
}
