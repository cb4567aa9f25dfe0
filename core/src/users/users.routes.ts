import { route } from '../http/route.js';
import { email, name, password, role, uuidList } from '../http/schemas.js';

const tag = 'Users';

export const usersRoutes = [
  route({
    method: 'get',
    path: '/api/users',
    summary: "Admins: the org's users; managers: their assigned clients",
    tag,
    access: ['admin', 'manager'],
    handler: ({ services, caller }) => services.users.list(caller),
  }),
  route({
    method: 'post',
    path: '/api/users',
    summary: 'Create a user in your org',
    tag,
    access: ['admin'],
    status: 201,
    body: { type: 'object', required: ['email', 'name', 'password', 'role'], additionalProperties: false, properties: { email, name, password, role } },
    handler: ({ services, caller, body }) => services.users.create(caller, body),
  }),
  route({
    method: 'get',
    path: '/api/users/:id',
    summary: 'A user you may see (yourself, or for managers an assigned client)',
    tag,
    access: ['admin', 'manager', 'client'],
    handler: ({ services, caller, params }) => services.users.get(caller, params.id),
  }),
  route({
    method: 'patch',
    path: '/api/users/:id',
    summary: "Change a user's name, role or disabled flag",
    tag,
    access: ['admin'],
    body: { type: 'object', additionalProperties: false, minProperties: 1, properties: { name, role, disabled: { type: 'boolean' } } },
    handler: ({ services, caller, params, body }) => services.users.update(caller, params.id, body),
  }),
  route({
    method: 'delete',
    path: '/api/users/:id',
    summary: 'Delete a user; their sessions end',
    tag,
    access: ['admin'],
    status: 204,
    handler: ({ services, caller, params }) => services.users.remove(caller, params.id),
  }),
  route({
    method: 'get',
    path: '/api/users/:id/clients',
    summary: "A manager's assigned clients",
    tag,
    access: ['admin', 'manager'],
    handler: ({ services, caller, params }) => services.users.listClients(caller, params.id),
  }),
  route({
    method: 'put',
    path: '/api/users/:id/clients',
    summary: "Replace a manager's assigned clients",
    tag,
    access: ['admin'],
    body: { type: 'object', required: ['clientIds'], additionalProperties: false, properties: { clientIds: uuidList } },
    handler: ({ services, caller, params, body }) => services.users.setClients(caller, params.id, body.clientIds),
  }),
];
