import type { Json, NodeContext } from '@piper/sdk';

/**
 * A condition arg arrives already resolved from its `{{ }}` template. A string that is not a
 * plain boolean word is taken as an expression over the input, evaluated in the sandbox.
 */
export async function isTrue(condition: unknown, input: unknown, ctx: NodeContext): Promise<boolean> {
  if (typeof condition !== 'string') return Boolean(condition);
  const text = condition.trim();
  if (text === '' || text === 'false' || text === '0') return false;
  if (text === 'true') return true;
  const scope = input !== null && typeof input === 'object' && !Array.isArray(input) ? (input as Record<string, Json>) : {};
  return Boolean(await ctx.sandbox.run(`return (${text});`, { ...scope, $input: (input ?? null) as Json }));
}
