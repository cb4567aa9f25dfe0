import { defineNode } from '@piper/sdk';

export const waitAllNode = defineNode({
  type: 'core.waitAll',
  version: '1.0.0',
  name: 'Wait for all',
  description: 'Waits for every parent; outputs { [parentNodeId]: output }',
  category: 'Flow',
  args: { type: 'object', additionalProperties: false, properties: {} } as const,
  join: 'all',
  handler: (input) => input,
});
