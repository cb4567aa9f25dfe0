import { defineNode } from '@piper/sdk';

export const mergeRaceNode = defineNode({
  type: 'core.mergeRace',
  version: '1.0.0',
  name: 'First to finish',
  description: 'Runs once with the output of the first parent that finishes; the others are ignored',
  category: 'Flow',
  args: { type: 'object', additionalProperties: false, properties: {} } as const,
  join: 'race',
  handler: (input) => input,
});
