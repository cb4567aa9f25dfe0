import { defineNode } from '@piper/sdk';

export const setNode = defineNode({
  type: 'core.set',
  version: '1.0.0',
  name: 'Set',
  description: 'Outputs `value`, with its {{ }} templates filled in',
  category: 'Data',
  args: { type: 'object', required: ['value'], properties: { value: { title: 'Value' } } } as const,
  ui: { value: { 'ui:widget': 'json' } },
  handler: (_input, args) => args.value,
});
