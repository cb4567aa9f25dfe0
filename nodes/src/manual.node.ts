import { defineNode } from '@piper/sdk';

export const manualNode = defineNode({
  type: 'core.manual',
  version: '1.0.0',
  name: 'Manual trigger',
  description: 'Entry point: outputs the run input',
  category: 'Triggers',
  args: { type: 'object', additionalProperties: false, properties: {} } as const,
  inputs: [],
  handler: (input) => input,
});
