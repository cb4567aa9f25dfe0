import { PassThrough } from 'node:stream';
import { route } from '../http/route.js';
import { limit, uuid } from '../http/schemas.js';
import type { BusEvent } from './events.js';

const tag = 'Runs';
const TRIGGERERS = ['admin', 'manager', 'service'] as const;
const READERS = ['admin', 'manager', 'client', 'service'] as const;
const FINISHED = new Set(['succeeded', 'failed', 'canceled']);
const status = { type: 'string', enum: ['queued', 'running', 'succeeded', 'failed', 'canceled'] } as const;

export const runsRoutes = [
  route({
    method: 'post',
    path: '/api/pipelines/:id/runs',
    summary: 'Start a run: a test run of the draft, or a production run of a published version',
    tag,
    access: TRIGGERERS,
    status: 202,
    bodyLimit: 8 * 1024 * 1024,
    body: {
      type: 'object',
      required: ['mode'],
      properties: {
        mode: { type: 'string', enum: ['test', 'production'] },
        input: {},
        version: { type: 'integer', minimum: 1 },
        clientId: { anyOf: [uuid, { type: 'null' }] },
      },
    },
    handler: async ({ services, caller, params, body }) => {
      const run = await services.runs.create(caller, params.id, { ...body, input: body.input as never });
      return { id: run.id, status: run.status };
    },
  }),
  route({
    method: 'get',
    path: '/api/runs',
    summary: 'Runs you may read, newest first (clients: the production runs made for them)',
    tag,
    access: READERS,
    query: {
      type: 'object',
      properties: { pipelineId: uuid, status, clientId: uuid, mode: { type: 'string', enum: ['test', 'production'] }, limit, cursor: { type: 'string', maxLength: 200 } },
    },
    handler: ({ services, caller, query }) => services.runs.list(caller, query),
  }),
  route({
    method: 'get',
    path: '/api/runs/:id',
    summary: "A run with its nodes and their attempts, and the node types of its graph with their plugins' UIs (result viewers)",
    tag,
    access: READERS,
    handler: async ({ services, caller, params }) => {
      const run = await services.runs.get(caller, params.id);
      return { ...run, nodeTypes: services.plugins.nodeTypesOf(run.graph) };
    },
  }),
  route({
    method: 'get',
    path: '/api/runs/:id/logs',
    summary: "A run's log lines, in order",
    tag,
    access: READERS,
    query: { type: 'object', properties: { nodeId: { type: 'string', maxLength: 100 }, after: { type: 'integer', minimum: 0 }, limit: { type: 'integer', minimum: 1, maximum: 10000 } } },
    handler: ({ services, caller, params, query }) => services.runs.logs(caller, params.id, query),
  }),
  route({
    method: 'post',
    path: '/api/runs/:id/cancel',
    summary: 'Cancel a queued or running run',
    tag,
    access: TRIGGERERS,
    status: 202,
    handler: ({ services, caller, params }) => services.runs.cancel(caller, params.id),
  }),
  route({
    method: 'post',
    path: '/api/runs/:id/retry',
    summary: 'Start a new run of a failed or canceled run, reusing its succeeded nodes',
    tag,
    access: TRIGGERERS,
    status: 202,
    handler: ({ services, caller, params }) => services.runs.retry(caller, params.id),
  }),
  route({
    method: 'get',
    path: '/api/runs/:id/artifacts/:artifactId',
    summary: 'Download a file a node stored',
    tag,
    access: READERS,
    handler: async ({ services, caller, params, koa }) => {
      const artifact = await services.runs.artifact(caller, params.id, params.artifactId);
      koa.type = artifact.contentType;
      koa.length = artifact.size;
      koa.attachment(artifact.name);
      return artifact.stream;
    },
  }),
  route({
    method: 'get',
    path: '/api/runs/:id/events',
    summary: "Server-Sent Events of a run: 'run' and 'node' status changes and 'log' lines",
    tag,
    access: READERS,
    handler: async ({ services, caller, params, koa }) => {
      const run = await services.runs.find(caller, params.id, ['id', 'status']);
      const stream = new PassThrough();
      const send = (event: BusEvent) => stream.write(`event: ${event.type}\ndata: ${JSON.stringify(event)}\n\n`);
      stream.write(`retry: 2000\n\n`);
      send({ type: 'run', runId: run.id, status: run.status as never, at: new Date().toISOString() });
      const keepAlive = setInterval(() => stream.write(': keep-alive\n\n'), 15_000);
      const unsubscribe = services.events.subscribe(run.id, (event) => {
        if (event.type === 'cancel') return;
        send(event);
        if (event.type === 'run' && FINISHED.has(event.status)) close();
      });
      const close = () => {
        clearInterval(keepAlive);
        unsubscribe();
        stream.end();
      };
      if (FINISHED.has(run.status)) close();
      koa.req.on('close', close);
      koa.request.socket.setTimeout(0);
      koa.set({ 'Cache-Control': 'no-cache', Connection: 'keep-alive', 'X-Accel-Buffering': 'no' });
      koa.type = 'text/event-stream';
      return stream;
    },
  }),
];
