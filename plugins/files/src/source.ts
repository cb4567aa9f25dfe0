import type { ArtifactRef, NodeContext } from '@piper/sdk';

/** The args every parse node shares: text, or a file of the run, and how its bytes are text. */
export const sourceProperties = {
  text: { type: 'string', title: 'Text', description: 'The content itself; leave empty to read a file' },
  file: { title: 'File of the run', description: 'The { id, name, … } an earlier node returned (for example "{{ file }}"), or its id' },
  encoding: {
    type: 'string',
    enum: ['utf-8', 'windows-1252', 'utf-16le'],
    default: 'utf-8',
    title: 'Encoding of the file',
    description: 'windows-1252 for a file saved by Excel on Windows in a Western language',
  },
} as const;

export type Encoding = 'utf-8' | 'windows-1252' | 'utf-16le';

function isArtifactRef(value: unknown): value is ArtifactRef {
  return typeof value === 'object' && value !== null && typeof (value as ArtifactRef).id === 'string' && typeof (value as ArtifactRef).name === 'string';
}

function decode(data: Uint8Array, encoding: Encoding, name: string): string {
  try {
    return new TextDecoder(encoding, { fatal: true, ignoreBOM: false }).decode(data);
  } catch {
    throw new Error(`${name} is not valid ${encoding} text${encoding === 'utf-8' ? ': if Excel saved it, set the encoding to windows-1252' : ''}`);
  }
}

/**
 * The text a parse node reads: its `text` arg, else its `file` arg, else its input (text, a
 * file, or an object whose `file` is one, as files.csvBuild and files.jsonBuild output).
 */
export async function readSource(args: { text?: string; file?: unknown; encoding?: Encoding }, input: unknown, ctx: NodeContext): Promise<{ text: string; from: string }> {
  if (typeof args.text === 'string' && args.text !== '') return { text: args.text, from: 'the text' };
  let file = args.file;
  if (file === undefined || file === null || file === '') {
    if (typeof input === 'string') return { text: input, from: 'the input' };
    if (isArtifactRef(input)) file = input;
    else if (typeof input === 'object' && input !== null && isArtifactRef((input as { file?: unknown }).file)) file = (input as { file: ArtifactRef }).file;
    else throw new Error('Nothing to read: set "text" or "file", or give the node text or a file as its input');
  }
  const id = typeof file === 'string' ? file : isArtifactRef(file) ? file.id : undefined;
  if (!id) throw new Error('"file" must be a file of this run ({ id, name, … } as a node returned it) or its id');
  const content = await ctx.files.read(id);
  return { text: decode(content.data, args.encoding ?? 'utf-8', `The file ${content.name}`), from: `the file ${content.name}` };
}

/** A file name for an artifact: the arg, with the extension added when it has none. */
export function fileName(name: string | undefined, fallback: string, extension: string): string {
  const chosen = (name ?? '').trim() || fallback;
  return /\.[A-Za-z0-9]+$/.test(chosen) ? chosen : `${chosen}.${extension}`;
}

/**
 * The rows a build node writes: its `rows`/`data` arg, else its input — an array, or an object's
 * `rows` (as postgres.query and files.csvParse output).
 */
export function rowsFrom(arg: unknown, input: unknown): unknown[] {
  const value = arg ?? input;
  if (Array.isArray(value)) return value;
  if (typeof value === 'object' && value !== null && Array.isArray((value as { rows?: unknown }).rows)) return (value as { rows: unknown[] }).rows;
  throw new Error('No rows: set "rows" to an array (for example "{{ rows }}"), or give the node an array or an object with "rows" as its input');
}
