import { route } from '../http/route.js';
import { sandboxSettingsSchema } from '../pipelines/graph.js';

const tag = 'Settings';

export const settingsRoutes = [
  route({
    method: 'get',
    path: '/api/settings',
    summary: "Your org's settings (isolate limits of transforms and expressions)",
    tag,
    access: ['admin'],
    handler: ({ services, caller }) => services.settings.get(caller),
  }),
  route({
    method: 'patch',
    path: '/api/settings',
    summary: "Change your org's settings",
    tag,
    access: ['admin'],
    body: { type: 'object', additionalProperties: false, minProperties: 1, properties: { sandbox: sandboxSettingsSchema } },
    handler: ({ services, caller, body }) => services.settings.update(caller, body),
  }),
];
