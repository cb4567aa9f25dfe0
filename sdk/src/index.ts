/**
 * @piper/sdk: everything a plugin author imports. Small on purpose, and strictly semver'd.
 *
 * A node type is data (its args JSON Schema drives the editor's form) plus one plain async
 * handler `(input, args, ctx, credentials)`. `defineNode`, `defineCredentialType` and
 * `definePlugin` are typed identity helpers: a plain object works as well.
 */
import type { FromSchema, JSONSchema } from 'json-schema-to-ts';

export type { JSONSchema } from 'json-schema-to-ts';

/** A JSON value: what crosses every boundary of a run (payloads, outputs, logs). */
export type Json = string | number | boolean | null | Json[] | { [key: string]: Json };

/** An `@rjsf/core` UI schema: plain JSON, no functions. */
export type UiSchema = { [key: string]: Json | UiSchema };

export interface NodeLogger {
  debug(message: string, data?: Json): void;
  info(message: string, data?: Json): void;
  warn(message: string, data?: Json): void;
  error(message: string, data?: Json): void;
}

export interface ArtifactRef {
  id: string;
  name: string;
  contentType: string;
  size: number;
}

/** An artifact with its content, as `ctx.files.read` answers it. */
export interface ArtifactContent extends ArtifactRef {
  data: Uint8Array;
}

export interface NodeFiles {
  /** Stores a file as an artifact of this attempt; clients can download it from the run. */
  write(name: string, data: string | Uint8Array | AsyncIterable<Uint8Array>, contentType?: string): Promise<ArtifactRef>;
  /**
   * Reads an artifact of this run: the `ArtifactRef` an earlier node returned (or its id).
   * Rejects when the run has no such artifact.
   */
  read(artifact: ArtifactRef | string): Promise<ArtifactContent>;
}

export interface ScriptRequest {
  language: 'python' | 'javascript' | 'bash';
  code: string;
  input: Json;
  args: Json;
  /** `restricted` (default): no network, read-only root; `trusted`: network allowed (admins only). */
  trust?: 'restricted' | 'trusted';
  timeoutMs?: number;
  memoryMb?: number;
  /** Environment variables of the script, such as credential values; sent over stdin, never in the container's configuration. */
  env?: Record<string, string>;
  /** The container image (default: Piper's script runtime); it needs python3, and node or bash for those languages. */
  image?: string;
}

/** Runs untrusted code: JavaScript in an isolate, or a script in a fresh container. Only JSON crosses. */
export interface NodeSandbox {
  /** Runs `functionBody` (a function body that may `return` or `await`) with `scope`'s keys as variables. */
  run(functionBody: string, scope: Record<string, Json>): Promise<Json>;
  /**
   * Runs a script in a fresh container with the org's limits: its stdout and stderr lines become
   * this attempt's logs, files it writes to /work/output become artifacts, its result is returned.
   */
  script(request: ScriptRequest): Promise<Json>;
}

/** What a handler may use besides its arguments. Deliberately small: resist adding to it. */
export interface NodeContext {
  runId: string;
  nodeId: string;
  /** 1 for the first attempt, 2 for the first retry, and so on. */
  attempt: number;
  /** Stable across retries and redeliveries of this node in this run: delivery is at least once. */
  idempotencyKey: string;
  /** Aborted when the run is canceled or the node times out. */
  signal: AbortSignal;
  log: NodeLogger;
  files: NodeFiles;
  sandbox: NodeSandbox;
}

const BRANCH = Symbol.for('piper.branch');

/** A handler result that continues on one named output handle only (as `core.if` does). */
export interface Branch<T = unknown> {
  readonly [BRANCH]: true;
  readonly handle: string;
  readonly output: T;
}

export function branch<T>(handle: string, output: T): Branch<T> {
  return { [BRANCH]: true, handle, output };
}

export function isBranch(value: unknown): value is Branch {
  return typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[BRANCH] === true;
}

/** Where a node type's handler runs: in the worker process, or in a script container. */
export type NodeRuntime = 'inline' | 'container';

export type ArgsOf<S> = S extends JSONSchema ? FromSchema<S> : never;

export interface NodeDefinition<S extends JSONSchema = JSONSchema, C = Record<string, unknown> | undefined> {
  /** Dotted key, unique across plugins, for example `postgres.query`. */
  type: string;
  /** Semver of this node type; pipelines pin it. */
  version: string;
  name: string;
  description?: string;
  category?: string;
  /** JSON Schema of the args; the handler's `args` type is inferred from it (declare it `as const`). */
  args: S;
  ui?: UiSchema;
  /** Input handles (default `['main']`; an entry point such as `core.manual` has none). */
  inputs?: readonly string[];
  /** Output handles (default `['main']`). */
  outputs?: readonly string[];
  /** More output handles named by an array arg, e.g. `{ arg: 'cases', key: 'handle' }` for a switch. */
  dynamicOutputs?: { arg: string; key: string };
  /**
   * With several parents: `all` (default) waits for every parent and receives
   * `{ [parentNodeId]: output }`; `race` runs once with the first parent's output.
   */
  join?: 'all' | 'race';
  /** The credential type the handler receives as its fourth argument (`'*'`: a credential of any type). */
  credential?: { type: string; required?: boolean };
  runtime?: NodeRuntime;
  handler(input: unknown, args: ArgsOf<S>, ctx: NodeContext, credentials: C): unknown | Promise<unknown>;
}

export function defineNode<const S extends JSONSchema, C = Record<string, unknown> | undefined>(definition: NodeDefinition<S, C>): NodeDefinition<S, C> {
  return definition;
}

export interface CredentialTypeDefinition<S extends JSONSchema = JSONSchema> {
  type: string;
  name: string;
  schema: S;
  ui?: UiSchema;
  /** Fields never shown again once saved, and redacted from logs. */
  secretFields: readonly string[];
  /** Checks that the credential works, for "Test" in the UI. */
  test?(data: ArgsOf<S>, ctx: { signal: AbortSignal }): Promise<{ ok: boolean; message: string }>;
}

export function defineCredentialType<const S extends JSONSchema>(definition: CredentialTypeDefinition<S>): CredentialTypeDefinition<S> {
  return definition;
}

// Handlers are contravariant in their args, so a plugin's list of node types of any schema takes `any` args.
export interface AnyNodeDefinition extends Omit<NodeDefinition, 'handler'> {
  handler(input: unknown, args: any, ctx: NodeContext, credentials: any): unknown;
}

export interface AnyCredentialTypeDefinition extends Omit<CredentialTypeDefinition, 'test'> {
  test?(data: any, ctx: { signal: AbortSignal }): Promise<{ ok: boolean; message: string }>;
}

export interface PluginDefinition {
  /** The npm package name. */
  id: string;
  version: string;
  nodes: readonly AnyNodeDefinition[];
  credentialTypes?: readonly AnyCredentialTypeDefinition[];
}

export function definePlugin<const P extends PluginDefinition>(plugin: P): P {
  return plugin;
}
