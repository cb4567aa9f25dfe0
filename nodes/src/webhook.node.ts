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
    properties: {
      path: { type: 'string', pattern: '^[A-Za-z0-9][A-Za-z0-9._/-]{0,199}$', title: 'Path' },
      respond: {
        type: 'string',
        enum: ['immediately', 'withOutput'],
        default: 'immediately',
        title: 'Respond',
        description: 'immediately: 202 { runId } once the run is stored; withOutput: 200 with the finished run, or 202 { runId } after the timeout',
      },
      timeoutMs: { type: 'integer', minimum: 100, maximum: 120_000, default: 30_000, title: 'Wait at most (ms)' },
    },
  } as const,
  credential: { type: 'core.webhookSecret', required: false },
  inputs: [],
  handler: (input) => input,
});
