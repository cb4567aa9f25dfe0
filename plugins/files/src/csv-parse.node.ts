import { defineNode } from '@piper/sdk';
import { CsvError, parse } from 'csv-parse/sync';
import { readSource, sourceProperties, type Encoding } from './source.js';

const NUMBER = /^-?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?$/;
const CANDIDATE_DELIMITERS = [',', ';', '\t', '|'];

/** The delimiter that occurs most often, outside quotes, in the first line. */
export function detectDelimiter(text: string): string {
  const counts = new Map(CANDIDATE_DELIMITERS.map((delimiter) => [delimiter, 0]));
  let quoted = false;
  for (const char of text) {
    if (char === '"') quoted = !quoted;
    else if (!quoted && (char === '\n' || char === '\r')) break;
    else if (!quoted && counts.has(char)) counts.set(char, counts.get(char)! + 1);
  }
  const [best] = [...counts].sort((a, b) => b[1] - a[1]);
  return best && best[1] > 0 ? best[0] : ',';
}

/** Header names as keys: blank ones named after their position, repeated ones numbered. */
function columnNames(header: string[]): string[] {
  const seen = new Map<string, number>();
  return header.map((raw, index) => {
    const name = raw.trim() || `column_${index + 1}`;
    const count = (seen.get(name) ?? 0) + 1;
    seen.set(name, count);
    return count === 1 ? name : `${name}_${count}`;
  });
}

function describeCsvError(error: unknown, from: string): Error {
  if (error instanceof CsvError) return new Error(`Cannot read the CSV of ${from}: ${error.message}`);
  return error instanceof Error ? error : new Error(String(error));
}

export const csvParseNode = defineNode({
  type: 'files.csvParse',
  version: '1.0.0',
  name: 'Parse CSV',
  description: 'Reads CSV text or a CSV file of the run (RFC 4180: quoted fields, escaped quotes, line breaks in fields); outputs { rows, rowCount, columns }',
  category: 'Files',
  args: {
    type: 'object',
    properties: {
      ...sourceProperties,
      header: { type: 'boolean', default: true, title: 'First row is the header', description: 'On: each row is an object keyed by the header. Off: each row is an array' },
      delimiter: { type: 'string', minLength: 1, maxLength: 4, default: ',', title: 'Delimiter', description: '"auto" picks the most frequent of , ; tab | in the first line' },
      quote: { type: 'string', maxLength: 1, default: '"', title: 'Quote character', description: 'Empty: quotes are ordinary characters' },
      trim: { type: 'boolean', default: false, title: 'Trim spaces around values' },
      skipEmptyLines: { type: 'boolean', default: true, title: 'Skip empty lines' },
      relaxColumnCount: { type: 'boolean', default: false, title: 'Accept rows with more or fewer fields than the header' },
      castNumbers: { type: 'boolean', default: false, title: 'Numbers as numbers', description: 'Values such as 42 and -1.5e3 become numbers; 007 and +1 stay text' },
      maxRows: { type: 'integer', minimum: 1, maximum: 1_000_000, default: 100_000, title: 'Most rows', description: 'A longer file fails the node' },
    },
  } as const,
  ui: {
    'ui:order': ['text', 'file', 'encoding', 'header', 'delimiter', 'quote', 'trim', 'skipEmptyLines', 'relaxColumnCount', 'castNumbers', 'maxRows'],
    text: { 'ui:widget': 'textarea', 'ui:options': { rows: 6 } },
    delimiter: { 'ui:widget': '@piper/plugin-files/delimiter', 'ui:options': { auto: true } },
  },
  async handler(input, args, ctx) {
    const { text, from } = await readSource({ text: args.text, file: args.file, encoding: args.encoding as Encoding | undefined }, input, ctx);
    const delimiter = args.delimiter === 'auto' ? detectDelimiter(text) : (args.delimiter ?? ',');
    const maxRows = args.maxRows ?? 100_000;
    const header = args.header ?? true;
    let records: unknown[][];
    try {
      records = parse(text, {
        delimiter,
        quote: args.quote === '' ? false : (args.quote ?? '"'),
        bom: true,
        trim: args.trim ?? false,
        skip_empty_lines: args.skipEmptyLines ?? true,
        relax_column_count: args.relaxColumnCount ?? false,
        relax_quotes: false,
        // One past the limit, to tell a file that is too long from one that is exactly long enough.
        to: maxRows + (header ? 2 : 1),
        cast: args.castNumbers ? (value, context) => (!context.quoting && NUMBER.test(value) ? Number(value) : value) : false,
      }) as unknown[][];
    } catch (error) {
      throw describeCsvError(error, from);
    }
    const columns = header ? columnNames((records.shift() ?? []).map(String)) : [];
    if (records.length > maxRows) throw new Error(`${from[0]!.toUpperCase()}${from.slice(1)} has more than ${maxRows} rows (the node's maxRows)`);
    const rows = header ? records.map((record) => Object.fromEntries(columns.map((column, index) => [column, record[index] ?? null]))) : records;
    if (header && args.relaxColumnCount) {
      const widest = records.reduce((most, record) => Math.max(most, record.length), 0);
      if (widest > columns.length) ctx.log.warn(`Some rows have ${widest} fields, more than the ${columns.length} columns of the header: the extra fields were dropped`);
    }
    ctx.log.info(`Read ${rows.length} row(s) from ${from}`);
    return { rows, rowCount: rows.length, columns: header ? columns : Array.from({ length: records[0]?.length ?? 0 }, (_, index) => `column_${index + 1}`) };
  },
});
