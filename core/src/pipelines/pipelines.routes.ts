import { notFound } from '../http/errors.js';
import { route } from '../http/route.js';
import { name, uuid } from '../http/schemas.js';
import { graphSchema, type Graph } from './graph.js';

const tag = 'Pipelines';
const EDITORS = ['admin', 'manager'] as const;
const GRAPH_BODY_LIMIT = 16 * 1024 * 1024;
const description = { type: ['string', 'null'], maxLength: 5000 } as const;
const nullableUuid = { anyOf: [uuid, { type: 'null' }] } as const;

export const pipelinesRoutes = [
  route({
    method: 'get',
    path: '/api/pipelines',
    summary: 'Pipelines of your groups (admins: the whole org)',
    tag,
    access: EDITORS,
    query: { type: 'object', properties: { groupId: uuid, clientId: uuid } },
    handler: ({ services, caller, query }) => services.pipelines.list(caller, query),
  }),
  route({
    method: 'post',
    path: '/api/pipelines',
    summary: 'Create a pipeline in one of your groups',
    tag,
    access: EDITORS,
    status: 201,
    bodyLimit: GRAPH_BODY_LIMIT,
    body: { type: 'object', required: ['name', 'groupId'], properties: { name, groupId: uuid, clientId: nullableUuid, description, graph: graphSchema } },
    handler: ({ services, caller, body }) => services.pipelines.create(caller, { ...body, graph: body.graph as Graph | undefined }),
  }),
  route({
    method: 'get',
    path: '/api/pipelines/:id',
    summary: 'A pipeline with its draft graph',
    tag,
    access: EDITORS,
    handler: ({ services, caller, params }) => services.pipelines.get(caller, params.id),
  }),
  route({
    method: 'put',
    path: '/api/pipelines/:id/graph',
    summary: 'Save the draft graph (unpinned node versions are pinned to the newest installed)',
    tag,
    access: EDITORS,
    bodyLimit: GRAPH_BODY_LIMIT,
    body: { type: 'object', required: ['graph'], properties: { graph: graphSchema } },
    handler: ({ services, caller, params, body }) => services.pipelines.saveGraph(caller, params.id, body.graph as Graph),
  }),
  route({
    method: 'patch',
    path: '/api/pipelines/:id',
    summary: 'Rename, describe, enable or disable a pipeline, or change its client',
    tag,
    access: EDITORS,
    body: { type: 'object', minProperties: 1, properties: { name, description, enabled: { type: 'boolean' }, clientId: nullableUuid } },
    handler: ({ services, caller, params, body }) => services.pipelines.update(caller, params.id, body),
  }),
  route({
    method: 'delete',
    path: '/api/pipelines/:id',
    summary: 'Delete a pipeline (its runs stay readable)',
    tag,
    access: EDITORS,
    status: 204,
    handler: ({ services, caller, params }) => services.pipelines.remove(caller, params.id),
  }),
  route({
    method: 'post',
    path: '/api/pipelines/:id/validate',
    summary: 'Validate the draft graph; every error names its node or edge',
    tag,
    access: EDITORS,
    handler: ({ services, caller, params }) => services.pipelines.validate(caller, params.id),
  }),
  route({
    method: 'post',
    path: '/api/pipelines/:id/versions',
    summary: 'Publish the draft as a new immutable version (400 with the validation errors)',
    tag,
    access: EDITORS,
    status: 201,
    handler: ({ services, caller, params }) => services.pipelines.publish(caller, params.id),
  }),
  route({
    method: 'get',
    path: '/api/pipelines/:id/versions',
    summary: 'Published versions, newest first',
    tag,
    access: EDITORS,
    handler: ({ services, caller, params }) => services.pipelines.versions(caller, params.id),
  }),
  route({
    method: 'get',
    path: '/api/pipelines/:id/versions/:version',
    summary: 'One published version with its graph',
    tag,
    access: EDITORS,
    freeParams: ['version'],
    handler: async ({ services, caller, params }) => {
      const version = Number(params.version);
      if (!Number.isSafeInteger(version) || version < 1) throw notFound('Version');
      return services.pipelines.version(caller, params.id, version);
    },
  }),
];
