import { route } from '../http/route.js';
import { name, uuid } from '../http/schemas.js';

const tag = 'Credentials';
const KEEPERS = ['admin', 'manager'] as const;
const data = { type: 'object', maxProperties: 100, description: `Field values; secret fields are answered as "********", and "********" sent back keeps the stored value` } as const;
const groupId = { anyOf: [uuid, { type: 'null' }], description: 'The group whose pipelines may use it; null: org-wide (admins only)' } as const;
const isDefault = { type: 'boolean', description: 'Used by nodes that need this type and name no credential' } as const;
const credentialType = { type: 'string', minLength: 1, maxLength: 200 } as const;

export const credentialsRoutes = [
  route({
    method: 'get',
    path: '/api/credentials',
    summary: 'Credentials you may use, secrets masked (managers: their groups and the org-wide ones)',
    tag,
    access: KEEPERS,
    query: { type: 'object', properties: { type: credentialType, groupId: uuid } },
    handler: ({ services, caller, query }) => services.credentials.list(caller, query),
  }),
  route({
    method: 'post',
    path: '/api/credentials',
    summary: 'Store a credential, encrypted; its data must match its type',
    tag,
    access: KEEPERS,
    status: 201,
    body: { type: 'object', required: ['name', 'type', 'data'], additionalProperties: false, properties: { name, type: credentialType, data, groupId, isDefault } },
    handler: ({ services, caller, body }) => services.credentials.create(caller, body as typeof body & { data: Record<string, unknown> }),
  }),
  route({
    method: 'get',
    path: '/api/credentials/:id',
    summary: 'A credential, secrets masked',
    tag,
    access: KEEPERS,
    handler: ({ services, caller, params }) => services.credentials.get(caller, params.id),
  }),
  route({
    method: 'patch',
    path: '/api/credentials/:id',
    summary: 'Rename, move, make default or change the data of a credential',
    tag,
    access: KEEPERS,
    body: { type: 'object', minProperties: 1, additionalProperties: false, properties: { name, data, groupId, isDefault } },
    handler: ({ services, caller, params, body }) => services.credentials.update(caller, params.id, body as typeof body & { data?: Record<string, unknown> }),
  }),
  route({
    method: 'delete',
    path: '/api/credentials/:id',
    summary: 'Delete a credential; nodes naming it fail validation until they name another',
    tag,
    access: KEEPERS,
    status: 204,
    handler: ({ services, caller, params }) => services.credentials.remove(caller, params.id),
  }),
  route({
    method: 'post',
    path: '/api/credentials/:id/test',
    summary: "Run the credential type's test (a login, a connection) with the stored data",
    tag,
    access: KEEPERS,
    handler: ({ services, caller, params }) => services.credentials.test(caller, params.id),
  }),
];
