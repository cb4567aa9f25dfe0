import { defineNode } from '@piper/sdk';

export const webhookNode = defineNode({
  type: 'core.webhook',
  version: '1.0.0',
  name: 'Webhook',
  description: 'Entry point for POST /hooks/:org/:path; outputs { body, headers, query }',
  category: 'Triggers',
  args: {
    type: 'object',
    required: ['path'],
    additionalProperties: false,
    properties: { path: { type: 'string', pattern: '^[A-Za-z0-9][A-Za-z0-9._/-]{0,199}$', title: 'Path' } },
  } as const,
  credential: { type: 'core.webhookSecret', required: false },
  inputs: [],
  handler: (input) => input,
});
