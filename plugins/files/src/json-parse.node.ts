import { defineNode } from '@piper/sdk';
import { readSource, sourceProperties, type Encoding } from './source.js';

/** Where a JSON syntax error is, as line and column, from the offset V8 reports. */
function position(text: string, message: string): string {
  const offset = Number(/position (\d+)/.exec(message)?.[1]);
  // Newer V8 says the line and column itself.
  if (!Number.isFinite(offset) || /\(line \d+/.test(message)) return '';
  const before = text.slice(0, offset).split('\n');
  return ` (line ${before.length}, column ${before.at(-1)!.length + 1})`;
}

export const jsonParseNode = defineNode({
  type: 'files.jsonParse',
  version: '1.0.0',
  name: 'Parse JSON',
  description: 'Reads JSON, or JSON Lines (one value a line), from text or a file of the run; outputs the value (an array for JSON Lines)',
  category: 'Files',
  args: {
    type: 'object',
    properties: {
      ...sourceProperties,
      format: { type: 'string', enum: ['json', 'jsonl'], default: 'json', title: 'Format', description: 'jsonl: JSON Lines, one value per line' },
    },
  } as const,
  ui: {
    'ui:order': ['text', 'file', 'encoding', 'format'],
    text: { 'ui:widget': 'textarea', 'ui:options': { rows: 6 } },
  },
  async handler(input, args, ctx) {
    const { text, from } = await readSource({ text: args.text, file: args.file, encoding: args.encoding as Encoding | undefined }, input, ctx);
    if (args.format === 'jsonl') {
      const values: unknown[] = [];
      const lines = text.split(/\r?\n/);
      for (const [index, line] of lines.entries()) {
        if (!line.trim()) continue;
        try {
          values.push(JSON.parse(line));
        } catch (error) {
          throw new Error(`Line ${index + 1} of ${from} is not JSON: ${(error as Error).message}`);
        }
      }
      ctx.log.info(`Read ${values.length} value(s) from ${from}`);
      return values;
    }
    try {
      return JSON.parse(text);
    } catch (error) {
      throw new Error(`${from[0]!.toUpperCase()}${from.slice(1)} is not JSON${position(text, (error as Error).message)}: ${(error as Error).message}`);
    }
  },
});
