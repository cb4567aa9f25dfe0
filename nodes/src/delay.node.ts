import { defineNode } from '@piper/sdk';
import { setTimeout as sleep } from 'node:timers/promises';

export const delayNode = defineNode({
  type: 'core.delay',
  version: '1.0.0',
  name: 'Delay',
  description: 'Waits `ms` milliseconds, then outputs its input',
  category: 'Flow',
  args: { type: 'object', required: ['ms'], properties: { ms: { type: 'integer', minimum: 0, maximum: 86_400_000, title: 'Milliseconds' } } } as const,
  async handler(input, args, ctx) {
    await sleep(args.ms, undefined, { signal: ctx.signal });
    return input;
  },
});
