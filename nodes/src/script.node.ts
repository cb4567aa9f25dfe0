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
  credential: { type: '*', required: false },
  async handler(input, args, ctx, credentials) {
    const { language, code, trust, timeoutMs, memoryMb, ...rest } = args;
    return ctx.sandbox.script({ language, code, trust, timeoutMs, memoryMb, input: (input ?? null) as Json, args: rest as Json, env: credentialEnv(credentials) });
  },
});

/**
 * A credential's fields as environment variables: `clientSecret` becomes CREDENTIAL_CLIENT_SECRET;
 * strings as they are, other values as JSON.
 */
export function credentialEnv(credentials: Record<string, unknown> | undefined): Record<string, string> | undefined {
  if (!credentials) return undefined;
  const env: Record<string, string> = {};
  for (const [field, value] of Object.entries(credentials)) {
    if (value === undefined || value === null) continue;
    const name = field.replace(/([a-z0-9])([A-Z])/g, '$1_$2').replace(/[^A-Za-z0-9_]/g, '_').toUpperCase();
    env[`CREDENTIAL_${name}`] = typeof value === 'string' ? value : JSON.stringify(value);
  }
  return env;
}
