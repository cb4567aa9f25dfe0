import assert from 'node:assert/strict';
import type { Graph, GraphNode } from '../pipelines/graph.js';
import type { TestServer } from './harness.js';

export type RunDetail = {
  id: string;
  orgId: string;
  status: string;
  output: unknown;
  error: { message: string } | null;
  nodes: Array<{ nodeId: string; status: string; output: unknown; error: { message: string; code?: string } | null; attemptCount: number; attempts: Array<{ attempt: number; status: string; startedAt: string; finishedAt: string | null }> }>;
};

const FINISHED = new Set(['succeeded', 'failed', 'canceled']);

/** A node of a test graph: `node('a', 'core.transform', { code: 'return 1' })`. */
export function node(id: string, type: string, args: Record<string, unknown> = {}, extra: Partial<GraphNode['data']> = {}): GraphNode {
  return { id, type, position: { x: 0, y: 0 }, data: { args: args as never, ...extra } };
}

export function edge(source: string, target: string, sourceHandle?: string) {
  return { id: `${source}->${target}${sourceHandle ? `:${sourceHandle}` : ''}`, source, target, ...(sourceHandle ? { sourceHandle } : {}) };
}

/** Drives pipelines through the real API as the acme admin. */
export class PipelineDriver {
  private groupId: string | undefined;

  constructor(
    readonly server: TestServer,
    readonly token: string,
  ) {}

  async create(graph: Graph, extra: Record<string, unknown> = {}): Promise<string> {
    this.groupId ??= (await this.server.request('GET', '/api/groups', { token: this.token })).body[0].id;
    const response = await this.server.request('POST', '/api/pipelines', { token: this.token, body: { name: `p-${Math.random().toString(36).slice(2)}`, groupId: this.groupId, graph, ...extra } });
    assert.equal(response.status, 201, JSON.stringify(response.body));
    return response.body.id;
  }

  async start(pipelineId: string, body: Record<string, unknown> = { mode: 'test' }): Promise<string> {
    const response = await this.server.request('POST', `/api/pipelines/${pipelineId}/runs`, { token: this.token, body });
    assert.equal(response.status, 202, JSON.stringify(response.body));
    return response.body.id;
  }

  async get(runId: string): Promise<RunDetail> {
    const response = await this.server.request('GET', `/api/runs/${runId}`, { token: this.token });
    assert.equal(response.status, 200, JSON.stringify(response.body));
    return response.body;
  }

  async waitFor(runId: string, done: (run: RunDetail) => boolean = (run) => FINISHED.has(run.status), timeoutMs = 20_000): Promise<RunDetail> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const run = await this.get(runId);
      if (done(run)) return run;
      if (Date.now() > deadline) throw new Error(`run ${runId} did not get there in ${timeoutMs} ms: ${JSON.stringify(run)}`);
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
  }

  /** Creates a pipeline of the graph, runs it in test mode with the input, waits for the end. */
  async run(graph: Graph, input: unknown = null): Promise<RunDetail> {
    const pipelineId = await this.create(graph);
    return this.waitFor(await this.start(pipelineId, { mode: 'test', input }));
  }
}

export function nodeOf(run: RunDetail, nodeId: string) {
  const found = run.nodes.find((candidate) => candidate.nodeId === nodeId);
  assert.ok(found, `node ${nodeId} is in the run`);
  return found;
}
