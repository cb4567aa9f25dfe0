import { route } from '../http/route.js';
import { name, uuidList } from '../http/schemas.js';

const tag = 'Service accounts';

export const serviceAccountsRoutes = [
  route({
    method: 'get',
    path: '/api/service-accounts',
    summary: "The org's service accounts (tokens are never shown again)",
    tag,
    access: ['admin'],
    handler: ({ services, caller }) => services.serviceAccounts.list(caller),
  }),
  route({
    method: 'post',
    path: '/api/service-accounts',
    summary: 'Create a service account; its token is in this answer only',
    tag,
    access: ['admin'],
    status: 201,
    body: { type: 'object', required: ['name'], additionalProperties: false, properties: { name, groupIds: uuidList } },
    handler: ({ services, caller, body }) => services.serviceAccounts.create(caller, { name: body.name, groupIds: body.groupIds ?? [] }),
  }),
  route({
    method: 'delete',
    path: '/api/service-accounts/:id',
    summary: 'Revoke a service account; its token stops working',
    tag,
    access: ['admin'],
    status: 204,
    handler: ({ services, caller, params }) => services.serviceAccounts.revoke(caller, params.id),
  }),
];
