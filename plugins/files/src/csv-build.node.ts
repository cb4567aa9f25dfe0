import { defineNode } from '@piper/sdk';
import { stringify } from 'csv-stringify/sync';
import { fileName, rowsFrom } from './source.js';

/** A cell's text: nested values as JSON, nothing for null, booleans as true/false, dates as ISO 8601. */
function cell(value: unknown): string {
  if (value === null || value === undefined) return '';
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'bigint' || typeof value === 'boolean') return String(value);
  if (value instanceof Date) return value.toISOString();
  return JSON.stringify(value);
}

/** The columns of object rows: every key, in the order first seen. */
function columnsOf(rows: Array<Record<string, unknown>>): string[] {
  const columns = new Set<string>();
  for (const row of rows) for (const key of Object.keys(row)) columns.add(key);
  return [...columns];
}

export const csvBuildNode = defineNode({
  type: 'files.csvBuild',
  version: '1.0.0',
  name: 'Build CSV',
  description: 'Writes rows (objects or arrays) as an RFC 4180 CSV file of the run; outputs { file, rowCount } (or { text, rowCount })',
  category: 'Files',
  args: {
    type: 'object',
    properties: {
      rows: { type: 'array', title: 'Rows', description: 'Objects or arrays, for example "{{ rows }}"; when empty, the node\'s input (an array, or an object\'s rows)' },
      columns: { type: 'array', items: { type: 'string' }, title: 'Columns', description: 'Which keys of object rows, in which order; every key when empty' },
      header: { type: 'boolean', default: true, title: 'Write a header row' },
      delimiter: { type: 'string', minLength: 1, maxLength: 4, default: ',', title: 'Delimiter' },
      lineEnding: { type: 'string', enum: ['crlf', 'lf'], default: 'crlf', title: 'Line ending', description: 'crlf as RFC 4180 says; lf for Unix tools' },
      bom: { type: 'boolean', default: false, title: 'Start with a UTF-8 BOM', description: 'Makes Excel read accents right' },
      escapeFormulas: { type: 'boolean', default: false, title: 'Neutralise formulas', description: 'Prefixes values starting with = + - @ with a quote, so a spreadsheet does not run them' },
      filename: { type: 'string', default: 'data.csv', title: 'File name' },
      output: { type: 'string', enum: ['file', 'text'], default: 'file', title: 'Output', description: 'file: a file of the run, { file, rowCount }; text: { text, rowCount }' },
    },
  } as const,
  ui: {
    'ui:order': ['rows', 'columns', 'header', 'delimiter', 'lineEnding', 'bom', 'escapeFormulas', 'filename', 'output'],
    delimiter: { 'ui:widget': '@piper/plugin-files/delimiter' },
  },
  async handler(input, args, ctx) {
    const rows = rowsFrom(args.rows, input);
    const objects = rows.every((row) => typeof row === 'object' && row !== null && !Array.isArray(row));
    if (!objects && !rows.every(Array.isArray)) throw new Error('Every row must be an object, or every row an array');
    const columns = args.columns?.length ? [...args.columns] : objects ? columnsOf(rows as Array<Record<string, unknown>>) : [];
    const records = objects
      ? (rows as Array<Record<string, unknown>>).map((row) => columns.map((column) => cell(row[column])))
      : (rows as unknown[][]).map((row) => row.map(cell));
    const header = (args.header ?? true) && columns.length > 0;
    const text = stringify(header ? [columns, ...records] : records, {
      delimiter: args.delimiter ?? ',',
      record_delimiter: args.lineEnding === 'lf' ? 'unix' : 'windows',
      bom: args.bom ?? false,
      escape_formulas: args.escapeFormulas ?? false,
      // A bare CR or LF must be quoted too, not only the record delimiter in use: readers split on either.
      quoted_match: /^\s|\s$|[\r\n]/,
    });
    if (args.output === 'text') return { text, rowCount: records.length };
    const file = await ctx.files.write(fileName(args.filename, 'data.csv', 'csv'), text, 'text/csv; charset=utf-8');
    ctx.log.info(`Wrote ${records.length} row(s) to ${file.name} (${file.size} bytes)`);
    return { file, rowCount: records.length };
  },
});
