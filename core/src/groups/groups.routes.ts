import { route } from '../http/route.js';
import { name, uuidList } from '../http/schemas.js';

const tag = 'Groups';
const description = { type: ['string', 'null'], maxLength: 2000 } as const;

export const groupsRoutes = [
  route({
    method: 'get',
    path: '/api/groups',
    summary: 'Admins: every group; managers: the groups they belong to',
    tag,
    access: ['admin', 'manager'],
    handler: ({ services, caller }) => services.groups.list(caller),
  }),
  route({
    method: 'post',
    path: '/api/groups',
    summary: 'Create a group',
    tag,
    access: ['admin'],
    status: 201,
    body: { type: 'object', required: ['name'], additionalProperties: false, properties: { name, description } },
    handler: ({ services, caller, body }) => services.groups.create(caller, body),
  }),
  route({
    method: 'patch',
    path: '/api/groups/:id',
    summary: 'Rename or describe a group',
    tag,
    access: ['admin'],
    body: { type: 'object', additionalProperties: false, minProperties: 1, properties: { name, description } },
    handler: ({ services, caller, params, body }) => services.groups.update(caller, params.id, body),
  }),
  route({
    method: 'delete',
    path: '/api/groups/:id',
    summary: 'Delete an empty group',
    tag,
    access: ['admin'],
    status: 204,
    handler: ({ services, caller, params }) => services.groups.remove(caller, params.id),
  }),
  route({
    method: 'put',
    path: '/api/groups/:id/members',
    summary: "Replace a group's members",
    tag,
    access: ['admin'],
    body: { type: 'object', required: ['userIds'], additionalProperties: false, properties: { userIds: uuidList } },
    handler: ({ services, caller, params, body }) => services.groups.setMembers(caller, params.id, body.userIds),
  }),
];
