import { branch, defineNode } from '@piper/sdk';
import { isTrue } from './condition.js';

export const switchNode = defineNode({
  type: 'core.switch',
  version: '1.0.0',
  name: 'Switch',
  description: 'Passes its input on the handle of the first case whose condition holds, else on `default`',
  category: 'Flow',
  args: {
    type: 'object',
    required: ['cases'],
    properties: {
      cases: {
        type: 'array',
        maxItems: 50,
        items: {
          type: 'object',
          required: ['handle', 'condition'],
          properties: {
            handle: { type: 'string', pattern: '^[A-Za-z0-9_-]{1,50}$', not: { const: 'default' } },
            condition: { type: ['string', 'boolean', 'number', 'null'] },
          },
        },
      },
    },
  } as const,
  outputs: ['default'],
  dynamicOutputs: { arg: 'cases', key: 'handle' },
  async handler(input, args, ctx) {
    for (const { handle, condition } of args.cases) {
      if (await isTrue(condition, input, ctx)) return branch(handle, input);
    }
    return branch('default', input);
  },
});
