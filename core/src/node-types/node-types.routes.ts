import { route } from '../http/route.js';
import { name } from '../http/schemas.js';

const tag = 'Plugins and node types';
const handle = { type: 'string', pattern: '^[A-Za-z][A-Za-z0-9_-]{0,63}$' } as const;
const handles = { type: 'array', items: handle, minItems: 1, maxItems: 20, uniqueItems: true } as const;

export const nodeTypesRoutes = [
  route({
    method: 'get',
    path: '/api/node-types',
    summary: "Every node type and version available to your org (the instance's and your org's script node types), as data for the editor",
    tag,
    access: ['admin', 'manager'],
    handler: async ({ services, caller }) => {
      const orgId = caller.principal.orgId;
      const [disabled, own] = await Promise.all([services.plugins.disabledFor(orgId), services.scriptTypes.list(orgId)]);
      const instance = services.registry.listNodeTypes().filter((type) => !disabled.has(type.plugin.id));
      return [...instance.map((type) => ({ ...type, plugin: { ...type.plugin, ui: services.plugins.uiOf(type.plugin.id) } })), ...own];
    },
  }),
  route({
    method: 'post',
    path: '/api/node-types',
    summary: 'Define a script node type for your org (or its next version): code, language, args and UI schema, inputs, outputs, trust',
    tag,
    access: ['admin'],
    status: 201,
    bodyLimit: 1024 * 1024,
    body: {
      type: 'object',
      required: ['type', 'name', 'language', 'code'],
      additionalProperties: false,
      properties: {
        type: { type: 'string', minLength: 3, maxLength: 100, description: 'A dotted name such as "acme.cleanOrders"' },
        name,
        description: { type: ['string', 'null'], maxLength: 2000 },
        category: { type: 'string', minLength: 1, maxLength: 100 },
        language: { type: 'string', enum: ['python', 'javascript', 'bash'] },
        code: { type: 'string', minLength: 1, maxLength: 512 * 1024 },
        argsSchema: { type: 'object', maxProperties: 100 },
        uiSchema: { type: 'object', maxProperties: 100 },
        inputs: { ...handles, minItems: 0 },
        outputs: handles,
        trust: { type: 'string', enum: ['restricted', 'trusted'] },
        image: { type: ['string', 'null'], pattern: '^[a-z0-9][a-z0-9._/-]*(:[A-Za-z0-9._-]+)?(@sha256:[a-f0-9]{64})?$', maxLength: 255 },
      },
    },
    handler: ({ services, caller, body }) => services.scriptTypes.create(caller, body as Parameters<typeof services.scriptTypes.create>[1]),
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
