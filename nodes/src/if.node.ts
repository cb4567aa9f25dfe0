import { branch, defineNode } from '@piper/sdk';
import { isTrue } from './condition.js';

export const ifNode = defineNode({
  type: 'core.if',
  version: '1.0.0',
  name: 'If',
  description: 'Passes its input on the `true` or the `false` handle',
  category: 'Flow',
  args: {
    type: 'object',
    required: ['condition'],
    properties: { condition: { type: ['string', 'boolean', 'number', 'null'], title: 'Condition', examples: ['{{ amount > 100 }}'] } },
  } as const,
  outputs: ['true', 'false'],
  async handler(input, args, ctx) {
    return branch((await isTrue(args.condition, input, ctx)) ? 'true' : 'false', input);
  },
});
