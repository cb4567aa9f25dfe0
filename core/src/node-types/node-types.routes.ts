import { route } from '../http/route.js';

const tag = 'Plugins and node types';

export const nodeTypesRoutes = [
  route({
    method: 'get',
    path: '/api/node-types',
    summary: 'Every node type and version available to your org, as data for the editor',
    tag,
    access: ['admin', 'manager'],
    handler: async ({ services }) => services.registry.listNodeTypes(),
  }),
  route({
    method: 'get',
    path: '/api/credential-types',
    summary: 'Every credential type, with its schema',
    tag,
    access: ['admin', 'manager'],
    handler: async ({ services }) => services.registry.listCredentialTypes(),
  }),
];
