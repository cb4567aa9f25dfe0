import { defineNode } from '@piper/sdk';

export const scheduleNode = defineNode({
  type: 'core.schedule',
  version: '1.0.0',
  name: 'Schedule',
  description: 'Entry point fired on a cron schedule; outputs { firedAt }',
  category: 'Triggers',
  args: {
    type: 'object',
    required: ['cron'],
    additionalProperties: false,
    properties: {
      cron: { type: 'string', minLength: 9, maxLength: 200, title: 'Cron expression', description: '5 fields, or 6 with seconds first', examples: ['*/5 * * * *'] },
      timezone: { type: 'string', default: 'UTC', title: 'Time zone', examples: ['Europe/Paris'] },
      catchUp: { type: 'boolean', default: false, title: 'Catch up', description: 'After downtime, fire every missed tick (at most 100) instead of only the next one' },
    },
  } as const,
  inputs: [],
  handler: (input) => input,
});
