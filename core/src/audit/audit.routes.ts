import { route } from '../http/route.js';
import { limit, uuid } from '../http/schemas.js';

const text = { type: 'string', minLength: 1, maxLength: 200 } as const;
const time = { type: 'string', minLength: 1, maxLength: 64 } as const;

export const auditRoutes = [
  route({
    method: 'get',
    path: '/api/audit',
    summary: "The org's audit log, newest first, with keyset pagination",
    tag: 'Audit',
    access: ['admin'],
    query: {
      type: 'object',
      additionalProperties: false,
      properties: { action: text, entityType: text, entityId: text, actorId: uuid, from: time, to: time, limit, cursor: { type: 'string', maxLength: 200 } },
    },
    handler: ({ services, caller, query }) => services.audit.list(caller.principal.orgId, query),
  }),
];
