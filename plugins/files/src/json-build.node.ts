import { defineNode } from '@piper/sdk';
import { fileName } from './source.js';

export const jsonBuildNode = defineNode({
  type: 'files.jsonBuild',
  version: '1.0.0',
  name: 'Build JSON file',
  description: 'Writes a value as a JSON (or JSON Lines) file of the run; outputs { file }',
  category: 'Files',
  args: {
    type: 'object',
    properties: {
      data: { title: 'Data', description: 'What to write, for example "{{ $input }}"; when empty, the node\'s input' },
      format: { type: 'string', enum: ['json', 'jsonl'], default: 'json', title: 'Format', description: 'jsonl: an array written as one value per line' },
      pretty: { type: 'boolean', default: true, title: 'Indent (JSON only)' },
      filename: { type: 'string', title: 'File name', description: 'data.json (data.jsonl) when empty' },
    },
  } as const,
  ui: { 'ui:order': ['data', 'format', 'pretty', 'filename'] },
  async handler(input, args, ctx) {
    const data = args.data === undefined ? input : args.data;
    let text: string;
    if (args.format === 'jsonl') {
      if (!Array.isArray(data)) throw new Error('JSON Lines needs an array: each element becomes one line');
      text = data.map((value) => JSON.stringify(value ?? null)).join('\n') + (data.length ? '\n' : '');
    } else {
      text = JSON.stringify(data ?? null, null, args.pretty === false ? undefined : 2) + '\n';
    }
    const extension = args.format === 'jsonl' ? 'jsonl' : 'json';
    const contentType = args.format === 'jsonl' ? 'application/x-ndjson' : 'application/json';
    const file = await ctx.files.write(fileName(args.filename, `data.${extension}`, extension), text, contentType);
    ctx.log.info(`Wrote ${file.name} (${file.size} bytes)`);
    return { file };
  },
});
