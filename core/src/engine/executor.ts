import { setTimeout as sleep } from 'node:timers/promises';
import { isBranch, type ArtifactContent, type ArtifactRef, type Json, type NodeContext, type NodeLogger, type NodeSandbox } from '@piper/sdk';
import type { Graph, GraphEdge, GraphNode } from '../pipelines/graph.js';
import type { RegisteredNodeType } from '../node-types/registry.js';
import type { Redactor } from './redactor.js';
import { expressionScope, rawArgNames, resolveTemplates, type Evaluator } from './templates.js';

export type NodeStatus = 'pending' | 'queued' | 'running' | 'succeeded' | 'failed' | 'skipped' | 'canceled';
export type RunStatus = 'queued' | 'running' | 'succeeded' | 'failed' | 'canceled';

export interface NodeError {
  message: string;
  code?: string;
}

/** What the engine knows of a node between attempts; the store persists it. */
export interface NodeState {
  status: NodeStatus;
  output?: Json;
  /** The output handle taken; null means every output handle. */
  handle?: string | null;
  error?: NodeError | null;
  /** Attempts made so far (finished or lost). */
  attempts: number;
  /** The node failed but has continueOnFail: its output `{ error }` flows on. */
  continued?: boolean;
}

export interface RunInfo {
  id: string;
  orgId: string;
  pipelineId: string;
  version: number | null;
  mode: 'test' | 'production';
  input: Json;
  graph: Graph;
}

export interface AttemptRecord {
  nodeId: string;
  attempt: number;
  status: 'succeeded' | 'failed' | 'canceled';
  input: Json;
  output: Json | null;
  error: NodeError | null;
  handle: string | null;
  startedAt: Date;
  finishedAt: Date;
  /** The node's status after this attempt (failed attempts with retries left leave it running). */
  nodeStatus: NodeStatus;
}

export interface LogLine {
  nodeId: string | null;
  attempt: number | null;
  stream: 'stdout' | 'stderr' | 'debug' | 'info' | 'warn' | 'error';
  line: string;
  at: Date;
}

/** Persistence of a run's progress. Each method commits before it resolves. */
export interface RunStore {
  nodeRunning(nodeId: string, attempt: number, input: Json, startedAt: Date): Promise<void>;
  attemptFinished(record: AttemptRecord): Promise<void>;
  nodesFinished(nodeIds: string[], status: 'skipped' | 'canceled'): Promise<void>;
  appendLogs(lines: LogLine[]): Promise<void>;
  writeArtifact(nodeId: string, attempt: number, name: string, data: string | Uint8Array | AsyncIterable<Uint8Array>, contentType: string): Promise<ArtifactRef>;
  /** An artifact of this run with its content; rejects when the run has none of that id. */
  readArtifact(id: string): Promise<ArtifactContent>;
}

export type RunEvent =
  | { type: 'node'; runId: string; nodeId: string; status: NodeStatus; attempt: number; error?: NodeError | null; at: string }
  | { type: 'log'; runId: string; nodeId: string | null; attempt: number | null; stream: LogLine['stream']; line: string; at: string };

export interface ExecutorOptions {
  nodeType(type: string, version: string): RegisteredNodeType | undefined;
  /** Evaluates a node's `{{ }}` expressions, within the node's sandbox limits. */
  evaluate(expressions: string[], scope: Record<string, Json>, node: GraphNode): Promise<Json[]>;
  /** The node's sandbox: isolates, and containers whose stdout and stderr lines go to `output`. */
  sandbox(node: GraphNode, signal: AbortSignal, output: (stream: 'stdout' | 'stderr', line: string) => void, attempt: number): NodeSandbox;
  /** Resolves the credentials a node receives as the fourth argument of its handler. */
  credentials(node: GraphNode, type: RegisteredNodeType): Promise<unknown>;
  /** Strips the secret values of the run's credentials from its logs, outputs and errors. */
  redactor: Pick<Redactor, 'text' | 'json'>;
  emit(event: RunEvent): void;
  defaultTimeoutMs: number;
}

/** How long a node may run before its 'running' state is written (light nodes finish sooner and skip that write). */
const RUNNING_MARK_DELAY_MS = 50;
/** Nodes of one run executing at once. */
const MAX_PARALLEL_NODES = 16;

/** Abort reason of a worker that is shutting down: the run stops here and resumes elsewhere. */
export const INTERRUPTED = Symbol('piper.interrupted');

export interface RunOutcome {
  status: 'succeeded' | 'failed' | 'canceled' | 'interrupted';
  output: Json | null;
  error: NodeError | null;
}

const TERMINAL: ReadonlySet<NodeStatus> = new Set(['succeeded', 'failed', 'skipped', 'canceled']);

export class NodeFailure extends Error {
  constructor(
    message: string,
    readonly code = 'node_failed',
  ) {
    super(message);
  }
}

/** Normalizes a handler's result to JSON: undefined becomes null; what JSON cannot hold is an error. */
function toJson(value: unknown): Json {
  if (value === undefined) return null;
  let text: string | undefined;
  try {
    text = JSON.stringify(value);
  } catch (error) {
    throw new NodeFailure(`The node's output is not JSON: ${(error as Error).message}`, 'output_not_json');
  }
  if (text === undefined) throw new NodeFailure('The node returned a value that is not JSON', 'output_not_json');
  return JSON.parse(text) as Json;
}

const JS_ERRORS = new Set(['TypeError', 'RangeError', 'ReferenceError', 'SyntaxError', 'EvalError', 'URIError', 'AggregateError']);

function errorOf(error: unknown, redact: (text: string) => string): NodeError {
  if (error instanceof NodeFailure) return { message: redact(error.message), code: error.code };
  const err = error as { name?: string; message?: string; code?: unknown };
  const message = err?.message ? (err.name && JS_ERRORS.has(err.name) ? `${err.name}: ${err.message}` : err.message) : String(error);
  return { message: redact(message), ...(typeof err?.code === 'string' ? { code: err.code } : {}) };
}

/**
 * Executes one run of a graph: ready nodes run (in parallel where the graph allows), each
 * attempt's result is committed through the store before any node that depends on it is
 * scheduled. Given the states of an interrupted execution, it resumes: succeeded nodes are
 * never run again.
 */
export class RunExecutor {
  private readonly nodes = new Map<string, GraphNode>();
  private readonly incoming = new Map<string, GraphEdge[]>();
  private readonly outgoing = new Map<string, GraphEdge[]>();
  private readonly inFlight = new Map<string, Promise<void>>();
  private wake: (() => void) | undefined;
  /** Something finished since the loop last planned: plan again before waiting. */
  private changed = false;
  /** A store failure (lost lease, database down) ends the execution; the worker decides what follows. */
  private fatal: unknown;

  private get interrupted(): boolean {
    return this.signal.aborted && this.signal.reason === INTERRUPTED;
  }

  constructor(
    private readonly run: RunInfo,
    private readonly states: Map<string, NodeState>,
    private readonly store: RunStore,
    private readonly options: ExecutorOptions,
    private readonly signal: AbortSignal,
  ) {
    for (const node of run.graph.nodes) {
      this.nodes.set(node.id, node);
      this.incoming.set(node.id, []);
      this.outgoing.set(node.id, []);
      if (!states.has(node.id)) states.set(node.id, { status: 'pending', attempts: 0 });
    }
    for (const edge of run.graph.edges) {
      this.incoming.get(edge.target)?.push(edge);
      this.outgoing.get(edge.source)?.push(edge);
    }
  }

  async execute(): Promise<RunOutcome> {
    const onAbort = () => {
      this.changed = true;
      this.wake?.();
    };
    this.signal.addEventListener('abort', onAbort);
    try {
      for (;;) {
        if (this.signal.aborted || this.fatal) break;
        this.changed = false;
        const { ready, skipped } = this.plan();
        if (skipped.length) await this.finishWithout(skipped, 'skipped');
        for (const nodeId of ready) {
          if (this.inFlight.size >= MAX_PARALLEL_NODES) break;
          this.states.get(nodeId)!.status = 'queued';
          const task = this.runNode(nodeId)
            .catch((error: unknown) => {
              this.fatal ??= error;
            })
            .finally(() => {
            this.inFlight.delete(nodeId);
            this.changed = true;
            this.wake?.();
          });
          this.inFlight.set(nodeId, task);
        }
        if (this.inFlight.size === 0) {
          if (ready.length === 0 && skipped.length === 0) break;
          continue;
        }
        if (!this.changed) {
          await new Promise<void>((resolve) => {
            this.wake = resolve;
          });
          this.wake = undefined;
        }
      }
      if (this.fatal) {
        await Promise.allSettled(this.inFlight.values());
        throw this.fatal;
      }
      if (this.signal.aborted) {
        await Promise.allSettled(this.inFlight.values());
        if (this.interrupted) return { status: 'interrupted', output: null, error: null };
        const open = [...this.states].filter(([, state]) => !TERMINAL.has(state.status)).map(([nodeId]) => nodeId);
        await this.finishWithout(open, 'canceled');
        return { status: 'canceled', output: null, error: { message: 'The run was canceled', code: 'canceled' } };
      }
      return this.outcome();
    } finally {
      this.signal.removeEventListener('abort', onAbort);
    }
  }

  /** Nodes that can start now, and nodes that never will (every incoming edge dead, or a parent failed). */
  private plan(): { ready: string[]; skipped: string[] } {
    const ready: string[] = [];
    const skipped: string[] = [];
    for (const [nodeId, state] of this.states) {
      if (state.status !== 'pending') continue;
      const edges = this.incoming.get(nodeId)!;
      if (edges.length === 0) {
        ready.push(nodeId);
        continue;
      }
      const race = this.joinOf(nodeId) === 'race';
      const edgeStates = edges.map((edge) => this.edgeState(edge));
      if (race) {
        if (edgeStates.includes('live')) ready.push(nodeId);
        else if (edgeStates.every((s) => s === 'dead' || s === 'broken')) skipped.push(nodeId);
        continue;
      }
      if (edgeStates.includes('waiting')) continue;
      if (edgeStates.includes('broken') || !edgeStates.includes('live')) skipped.push(nodeId);
      else ready.push(nodeId);
    }
    return { ready, skipped };
  }

  private joinOf(nodeId: string): 'all' | 'race' {
    const node = this.nodes.get(nodeId)!;
    return this.options.nodeType(node.type, node.data?.version ?? '')?.definition.join ?? 'all';
  }

  /** live: the parent delivered on this edge; dead: it took another branch or was skipped; broken: it failed. */
  private edgeState(edge: GraphEdge): 'waiting' | 'live' | 'dead' | 'broken' {
    const parent = this.states.get(edge.source)!;
    switch (parent.status) {
      case 'succeeded': {
        if (parent.handle === null || parent.handle === undefined) return 'live';
        const source = this.nodes.get(edge.source)!;
        const outputs = this.options.nodeType(source.type, source.data?.version ?? '')?.definition.outputs ?? ['main'];
        return (edge.sourceHandle ?? outputs[0]) === parent.handle ? 'live' : 'dead';
      }
      case 'failed':
        return parent.continued ? 'live' : 'broken';
      case 'skipped':
        return 'dead';
      case 'canceled':
        return 'broken';
      default:
        return 'waiting';
    }
  }

  private inputOf(nodeId: string): Json {
    const edges = this.incoming.get(nodeId)!;
    if (edges.length === 0) return this.run.input;
    const live = edges.filter((edge) => this.edgeState(edge) === 'live');
    const parents = [...new Set(edges.map((edge) => edge.source))];
    if (this.joinOf(nodeId) === 'race' || parents.length === 1) return this.states.get(live[0]!.source)!.output ?? null;
    const input: Record<string, Json> = {};
    for (const edge of live) input[edge.source] = this.states.get(edge.source)!.output ?? null;
    return input;
  }

  private async finishWithout(nodeIds: string[], status: 'skipped' | 'canceled') {
    if (nodeIds.length === 0) return;
    await this.store.nodesFinished(nodeIds, status);
    for (const nodeId of nodeIds) {
      const state = this.states.get(nodeId)!;
      state.status = status;
      this.options.emit({ type: 'node', runId: this.run.id, nodeId, status, attempt: state.attempts, at: new Date().toISOString() });
    }
  }

  private scope(input: Json): Record<string, Json> {
    const outputs: Record<string, Json> = {};
    for (const [nodeId, state] of this.states) if (state.status === 'succeeded' || state.continued) outputs[nodeId] = state.output ?? null;
    const run = { id: this.run.id, pipelineId: this.run.pipelineId, version: this.run.version, mode: this.run.mode, input: this.run.input };
    return expressionScope(input, outputs, run);
  }

  private async runNode(nodeId: string): Promise<void> {
    const node = this.nodes.get(nodeId)!;
    const state = this.states.get(nodeId)!;
    const registered = this.options.nodeType(node.type, node.data?.version ?? '');
    const settings = node.data?.settings ?? {};
    const maxAttempts = settings.retry?.maxAttempts ?? 1;
    const backoffMs = settings.retry?.backoffMs ?? 1000;
    const factor = settings.retry?.factor ?? 2;
    const input = this.inputOf(nodeId);

    for (;;) {
      const attempt = state.attempts + 1;
      state.attempts = attempt;
      state.status = 'running';
      const startedAt = new Date();
      this.options.emit({ type: 'node', runId: this.run.id, nodeId, status: 'running', attempt, at: startedAt.toISOString() });
      const marker = setTimeout(() => {
        this.store.nodeRunning(nodeId, attempt, input, startedAt).catch(() => undefined);
      }, RUNNING_MARK_DELAY_MS);
      let record: AttemptRecord;
      try {
        if (!registered) throw new NodeFailure(`Node type ${node.type}@${node.data?.version} is not installed`, 'unknown_node_type');
        const { output, handle } = await this.attempt(node, registered, input, attempt, settings.timeoutMs ?? this.options.defaultTimeoutMs);
        record = { nodeId, attempt, status: 'succeeded', input, output: this.options.redactor.json(output), error: null, handle, startedAt, finishedAt: new Date(), nodeStatus: 'succeeded' };
      } catch (error) {
        const canceled = this.signal.aborted;
        const nodeError = canceled ? { message: 'The run was canceled', code: 'canceled' } : errorOf(error, (text) => this.options.redactor.text(text));
        const retry = !canceled && attempt < maxAttempts;
        const final: NodeStatus = canceled ? 'canceled' : retry ? 'running' : 'failed';
        const continued = final === 'failed' && settings.continueOnFail === true;
        record = {
          nodeId,
          attempt,
          status: canceled ? 'canceled' : 'failed',
          input,
          output: continued ? { error: { message: nodeError.message } } : null,
          error: nodeError,
          handle: null,
          startedAt,
          finishedAt: new Date(),
          nodeStatus: final,
        };
        state.continued = continued;
      } finally {
        clearTimeout(marker);
      }
      // An interrupted attempt is not recorded: the worker that resumes the run makes it again.
      if (this.interrupted) return;
      await this.store.attemptFinished(record);
      state.status = record.nodeStatus;
      state.error = record.error;
      state.output = record.output ?? undefined;
      state.handle = record.handle;
      this.options.emit({ type: 'node', runId: this.run.id, nodeId, status: record.nodeStatus, attempt, error: record.error, at: record.finishedAt.toISOString() });
      if (record.nodeStatus !== 'running') return;
      try {
        await sleep(backoffMs * factor ** (attempt - 1), undefined, { signal: this.signal });
      } catch {
        if (this.interrupted) return;
        state.status = 'canceled';
        await this.store.nodesFinished([nodeId], 'canceled');
        return;
      }
    }
  }

  private async attempt(node: GraphNode, registered: RegisteredNodeType, input: Json, attempt: number, timeoutMs: number) {
    const controller = new AbortController();
    const abort = () => controller.abort(this.signal.reason);
    this.signal.addEventListener('abort', abort);
    const timer = setTimeout(() => controller.abort(new NodeFailure(`The node timed out after ${timeoutMs} ms`, 'timeout')), timeoutMs);
    try {
      const rawArgs = (node.data?.args ?? {}) as Json;
      const evaluate: Evaluator = (expressions, scope) => this.options.evaluate(expressions, scope, node);
      const resolved = structuredClone(await resolveTemplates(rawArgs, this.scope(input), evaluate, rawArgNames(registered.definition.args))) as Record<string, Json>;
      if (!registered.validateArgs(resolved)) {
        const problems = (registered.validateArgs.errors ?? []).map((e) => `${e.instancePath || 'args'} ${e.message}`).join('; ');
        throw new NodeFailure(`Invalid args after templates were filled in: ${problems}`, 'invalid_args');
      }
      const credentials = await this.options.credentials(node, registered);
      const ctx = this.context(node, attempt, controller.signal);
      const aborted = new Promise<never>((_, reject) => {
        const fail = () => reject(controller.signal.reason instanceof Error ? controller.signal.reason : new NodeFailure('The node was aborted', 'aborted'));
        if (controller.signal.aborted) fail();
        controller.signal.addEventListener('abort', fail, { once: true });
      });
      const result = await Promise.race([Promise.resolve(registered.definition.handler(input, resolved, ctx, credentials)), aborted]);
      if (isBranch(result)) return { output: toJson(result.output), handle: result.handle };
      return { output: toJson(result), handle: null };
    } finally {
      clearTimeout(timer);
      this.signal.removeEventListener('abort', abort);
    }
  }

  private context(node: GraphNode, attempt: number, signal: AbortSignal): NodeContext {
    const nodeId = node.id;
    const log = (stream: LogLine['stream']) => (message: string, data?: Json) => {
      const text = this.options.redactor.text(data === undefined ? String(message) : `${message} ${JSON.stringify(data)}`);
      const at = new Date();
      this.options.emit({ type: 'log', runId: this.run.id, nodeId, attempt, stream, line: text, at: at.toISOString() });
      void this.store.appendLogs([{ nodeId, attempt, stream, line: text, at }]);
    };
    const logger: NodeLogger = { debug: log('debug'), info: log('info'), warn: log('warn'), error: log('error') };
    return {
      runId: this.run.id,
      nodeId,
      attempt,
      idempotencyKey: `${this.run.id}:${nodeId}`,
      signal,
      log: logger,
      files: {
        write: (name, data, contentType = 'application/octet-stream') => this.store.writeArtifact(nodeId, attempt, name, data, contentType),
        read: (artifact) => this.store.readArtifact(typeof artifact === 'string' ? artifact : artifact?.id),
      },
      sandbox: this.options.sandbox(node, signal, (stream, line) => log(stream)(line), attempt),
    };
  }

  /** The run's result: the output of its one leaf, or `{ [leafId]: output }` of its succeeded leaves. */
  private outcome(): RunOutcome {
    const failed = [...this.states].find(([, state]) => state.status === 'failed' && !state.continued);
    if (failed) {
      const [nodeId, state] = failed;
      return { status: 'failed', output: null, error: { message: `Node ${nodeId} failed: ${state.error?.message ?? 'unknown error'}`, code: 'node_failed' } };
    }
    const leaves = [...this.nodes.keys()].filter((nodeId) => this.outgoing.get(nodeId)!.length === 0);
    const delivered = leaves.filter((nodeId) => {
      const state = this.states.get(nodeId)!;
      return state.status === 'succeeded' || state.continued;
    });
    if (delivered.length === 1) return { status: 'succeeded', output: this.states.get(delivered[0]!)!.output ?? null, error: null };
    const output: Record<string, Json> = {};
    for (const nodeId of delivered) output[nodeId] = this.states.get(nodeId)!.output ?? null;
    return { status: 'succeeded', output, error: null };
  }
}
