import { isBranch, type AnyNodeDefinition, type ArtifactContent, type ArtifactRef, type Json, type JSONSchema, type NodeContext } from './index.js';

export interface MockContext extends NodeContext {
  /** Every line the handler logged, in order. */
  logs: Array<{ level: 'debug' | 'info' | 'warn' | 'error'; message: string; data?: Json }>;
  /** Every file the handler wrote, by name. */
  writtenFiles: Map<string, { contentType: string; data: Buffer }>;
}

/**
 * A context for unit tests of a handler: logs and files are kept in memory, and `files.read`
 * answers the files written through it (write an input file first, then pass `{ files: ctx.files }`
 * to `runNode`). Pass `sandbox`
 * to test a handler that runs user code; the real isolate lives in the Piper server.
 */
export function createMockContext(overrides: Partial<NodeContext> = {}): MockContext {
  const logs: MockContext['logs'] = [];
  const writtenFiles: MockContext['writtenFiles'] = new Map();
  const filesById = new Map<string, ArtifactContent>();
  const log = (level: 'debug' | 'info' | 'warn' | 'error') => (message: string, data?: Json) => void logs.push({ level, message, ...(data === undefined ? {} : { data }) });
  return {
    runId: 'run-test',
    nodeId: 'node-test',
    attempt: 1,
    idempotencyKey: 'run-test:node-test',
    signal: new AbortController().signal,
    log: { debug: log('debug'), info: log('info'), warn: log('warn'), error: log('error') },
    files: {
      async write(name, data, contentType = 'application/octet-stream'): Promise<ArtifactRef> {
        const chunks: Buffer[] = [];
        if (typeof data === 'string' || data instanceof Uint8Array) chunks.push(Buffer.from(data));
        else for await (const chunk of data) chunks.push(Buffer.from(chunk));
        const content = Buffer.concat(chunks);
        writtenFiles.set(name, { contentType, data: content });
        const ref = { id: `file-${filesById.size + 1}`, name, contentType, size: content.length };
        filesById.set(ref.id, { ...ref, data: content });
        return ref;
      },
      async read(artifact) {
        const id = typeof artifact === 'string' ? artifact : artifact.id;
        const found = filesById.get(id);
        if (!found) throw new Error(`This run has no artifact ${id}`);
        return { ...found, data: Buffer.from(found.data) };
      },
    },
    sandbox: {
      run: () => Promise.reject(new Error('createMockContext has no sandbox: pass { sandbox } to test code that runs user code')),
      script: () => Promise.reject(new Error('createMockContext has no sandbox: pass { sandbox } to test code that runs user scripts')),
    },
    ...overrides,
    logs,
    writtenFiles,
  };
}

export interface NodeRunResult {
  output: unknown;
  /** The output handle the result leaves on (`main` unless the handler branched). */
  handle: string;
  ctx: MockContext;
}

/** Fills in the top-level `default`s of the args schema, as the engine does before calling a handler. */
function withDefaults(schema: JSONSchema, args: object): object {
  const properties = typeof schema === 'object' ? (schema.properties ?? {}) : {};
  const filled: Record<string, unknown> = { ...args };
  for (const [key, property] of Object.entries(properties)) {
    if (filled[key] === undefined && typeof property === 'object' && property.default !== undefined) filled[key] = property.default;
  }
  return filled;
}

/** Runs a node's handler as the engine would, and tells where its output goes. */
export async function runNode<N extends AnyNodeDefinition>(
  node: N,
  options: { input?: unknown; args: Partial<Parameters<N['handler']>[1]>; credentials?: Parameters<N['handler']>[3]; ctx?: Partial<NodeContext> },
): Promise<NodeRunResult> {
  const ctx = createMockContext(options.ctx);
  const result = await node.handler(options.input ?? null, withDefaults(node.args, options.args), ctx, options.credentials);
  if (isBranch(result)) return { output: result.output, handle: result.handle, ctx };
  return { output: result, handle: node.outputs?.[0] ?? 'main', ctx };
}
