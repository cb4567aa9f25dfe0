import { route } from '../http/route.js';
import { sandboxSettingsSchema } from '../pipelines/graph.js';
import { scriptLimitsSchema } from './settings.service.js';

const tag = 'Settings';

export const settingsRoutes = [
  route({
    method: 'get',
    path: '/api/settings',
    summary: "Your org's settings: isolate limits of transforms and expressions, container limits of scripts",
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
    body: { type: 'object', additionalProperties: false, minProperties: 1, properties: { sandbox: sandboxSettingsSchema, scripts: scriptLimitsSchema } },
    handler: ({ services, caller, body }) => services.settings.update(caller, body),
  }),
];
