import { defineNode, type Json } from '@piper/sdk';

export const transformNode = defineNode({
  type: 'core.transform',
  version: '1.0.0',
  name: 'Transform',
  description: 'A JavaScript function body run in an isolate; `input`, `args` and `ctx` are in scope, `return` gives the output',
  category: 'Code',
  args: {
    type: 'object',
    required: ['code'],
    properties: { code: { type: 'string', title: 'Code', default: 'return input;', 'x-piper-raw': true } },
  } as const,
  ui: { code: { 'ui:widget': 'textarea', 'ui:options': { rows: 10, language: 'javascript' } } },
  async handler(input, args, ctx) {
    const { code, ...rest } = args;
    return ctx.sandbox.run(code, {
      input: (input ?? null) as Json,
      args: rest as Json,
      ctx: { runId: ctx.runId, nodeId: ctx.nodeId, attempt: ctx.attempt },
    });
  },
});
