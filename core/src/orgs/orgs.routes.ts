import { route } from '../http/route.js';
import { email, name, password } from '../http/schemas.js';

const tag = 'Orgs';

export const orgsRoutes = [
  route({
    method: 'get',
    path: '/api/orgs',
    summary: 'Every org of the instance (instance admins)',
    tag,
    access: ['instanceAdmin'],
    handler: ({ services }) => services.orgs.list(),
  }),
  route({
    method: 'post',
    path: '/api/orgs',
    summary: 'Create an org with its first admin (instance admins)',
    tag,
    access: ['instanceAdmin'],
    status: 201,
    body: {
      type: 'object',
      required: ['slug', 'name', 'admin'],
      additionalProperties: false,
      properties: {
        slug: { type: 'string', pattern: '^[a-z0-9][a-z0-9-]{1,62}$' },
        name,
        admin: { type: 'object', required: ['email', 'name', 'password'], additionalProperties: false, properties: { email, name, password } },
      },
    },
    handler: ({ services, caller, body }) => services.orgs.create(caller, body),
  }),
];
