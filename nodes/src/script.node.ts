import { defineNode, type Json } from '@piper/sdk';

export const scriptNode = defineNode({
  type: 'core.script',
  version: '1.0.0',
  name: 'Script',
  description:
    'Python, JavaScript or Bash in a fresh container. Python defines main(input, args); JavaScript exports async (input, args) => …; Bash reads {"input","args"} JSON on stdin and prints its JSON result last',
  category: 'Code',
  runtime: 'container',
  args: {
    type: 'object',
    required: ['language', 'code'],
    properties: {
      language: { type: 'string', enum: ['python', 'javascript', 'bash'], default: 'python' },
      code: { type: 'string', title: 'Code', 'x-piper-raw': true },
      trust: { type: 'string', enum: ['restricted', 'trusted'], default: 'restricted', description: 'trusted allows the network; only admins may set it' },
      timeoutMs: { type: 'integer', minimum: 100, maximum: 3_600_000 },
      memoryMb: { type: 'integer', minimum: 32, maximum: 8192 },
    },
  } as const,
  ui: { code: { 'ui:widget': 'textarea', 'ui:options': { rows: 14, language: 'python' } } },
  async handler(input, args, ctx) {
    const { language, code, trust, timeoutMs, memoryMb, ...rest } = args;
    return ctx.sandbox.script({ language, code, trust, timeoutMs, memoryMb, input: (input ?? null) as Json, args: rest as Json });
  },
});
