import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { createMockContext, runNode } from '@piper/sdk/testing';
import { csvBuildNode } from './csv-build.node.js';
import { csvParseNode, detectDelimiter } from './csv-parse.node.js';
import plugin from './index.js';

const parse = async (args: Parameters<typeof runNode<typeof csvParseNode>>[1]['args'], input?: unknown, ctx?: ReturnType<typeof createMockContext>) =>
  (await runNode(csvParseNode, { args, input, ...(ctx ? { ctx: { files: ctx.files } } : {}) })).output as { rows: unknown[]; rowCount: number; columns: string[] };

describe('files.csvParse', () => {
  it('reads RFC 4180: quoted delimiters, doubled quotes, line breaks inside quotes, CRLF and a BOM', async () => {
    const text = '\uFEFFid,name,note\r\n1,"Smith, Ann","said ""hi"""\r\n2,Bob,"two\r\nlines"\r\n';
    assert.deepEqual(await parse({ text }), {
      rows: [
        { id: '1', name: 'Smith, Ann', note: 'said "hi"' },
        { id: '2', name: 'Bob', note: 'two\r\nlines' },
      ],
      rowCount: 2,
      columns: ['id', 'name', 'note'],
    });
  });

  it('gives arrays without a header, and names blank and repeated header names', async () => {
    assert.deepEqual(await parse({ text: 'a,b\n1,2\n', header: false }), { rows: [['a', 'b'], ['1', '2']], rowCount: 2, columns: ['column_1', 'column_2'] });
    assert.deepEqual((await parse({ text: 'name,,name\nx,y,z\n' })).rows, [{ name: 'x', column_2: 'y', name_2: 'z' }]);
  });

  it('takes another delimiter, or finds it', async () => {
    assert.deepEqual((await parse({ text: 'a;b\n"1;5";2\n', delimiter: ';' })).rows, [{ a: '1;5', b: '2' }]);
    assert.deepEqual((await parse({ text: 'a\tb\n1\t2\n', delimiter: 'auto' })).rows, [{ a: '1', b: '2' }]);
    assert.equal(detectDelimiter('"a,b";c;d\n1,2,3,4,5'), ';', 'commas in quotes and on later lines do not count');
    assert.equal(detectDelimiter('single'), ',');
  });

  it('casts numbers only when asked, and never zero-padded codes or quoted values', async () => {
    const text = 'n,code,neg,exp,quoted,word\n42,007,-1.5,2e3,"12",x\n';
    assert.deepEqual((await parse({ text })).rows, [{ n: '42', code: '007', neg: '-1.5', exp: '2e3', quoted: '12', word: 'x' }]);
    assert.deepEqual((await parse({ text, castNumbers: true })).rows, [{ n: 42, code: '007', neg: -1.5, exp: 2000, quoted: '12', word: 'x' }]);
  });

  it('trims and skips empty lines as told', async () => {
    assert.deepEqual((await parse({ text: 'a, b\n 1 , 2 \n\n3,4\n', trim: true })).rows, [{ a: '1', b: '2' }, { a: '3', b: '4' }]);
    await assert.rejects(parse({ text: 'a,b\n1,2\n\n3,4\n', skipEmptyLines: false }), /Cannot read the CSV of the text: .*line 3/i);
  });

  it('says which line is wrong', async () => {
    await assert.rejects(parse({ text: 'a,b\n1,2\n3\n' }), /^Error: Cannot read the CSV of the text: Invalid Record Length: expect 2, got 1 on line 3$/);
    await assert.rejects(parse({ text: 'a,b\n1,"open\n' }), /Cannot read the CSV of the text: Quote Not Closed/);
    const relaxed = await runNode(csvParseNode, { args: { text: 'a,b\n1\n1,2,3\n', relaxColumnCount: true } });
    assert.deepEqual((relaxed.output as { rows: unknown[] }).rows, [{ a: '1', b: null }, { a: '1', b: '2' }]);
    assert.ok(relaxed.ctx.logs.some((line) => line.level === 'warn' && /3 fields, more than the 2 columns/.test(line.message)));
  });

  it('stops at maxRows', async () => {
    const text = 'n\n' + Array.from({ length: 10 }, (_, i) => i).join('\n');
    assert.equal((await parse({ text, maxRows: 10 })).rowCount, 10);
    await assert.rejects(parse({ text, maxRows: 9 }), /^Error: The text has more than 9 rows/);
    assert.equal((await parse({ text, header: false, maxRows: 11 })).rowCount, 11);
    await assert.rejects(parse({ text, header: false, maxRows: 10 }), /more than 10 rows/);
  });

  it('reads a file of the run from the file arg or from its input, in its encoding', async () => {
    const ctx = createMockContext();
    const file = await ctx.files.write('people.csv', 'name,city\nJosé,Zürich\n', 'text/csv');
    assert.deepEqual((await parse({ file }, null, ctx)).rows, [{ name: 'José', city: 'Zürich' }]);
    assert.deepEqual((await parse({ file: file.id }, null, ctx)).rows, [{ name: 'José', city: 'Zürich' }]);
    assert.deepEqual((await parse({}, { file, rowCount: 1 }, ctx)).rows, [{ name: 'José', city: 'Zürich' }], 'the output of files.csvBuild as input');
    assert.deepEqual((await parse({}, 'a\nfrom input\n')).rows, [{ a: 'from input' }]);

    const excel = await ctx.files.write('excel.csv', Buffer.from('name;city\r\nJos\xe9;Z\xfcrich\r\n', 'latin1'), 'text/csv');
    await assert.rejects(parse({ file: excel, delimiter: ';' }, null, ctx), /^Error: The file excel\.csv is not valid utf-8 text: if Excel saved it, set the encoding to windows-1252$/);
    assert.deepEqual((await parse({ file: excel, delimiter: ';', encoding: 'windows-1252' }, null, ctx)).rows, [{ name: 'José', city: 'Zürich' }]);
    const utf16 = await ctx.files.write('u16.csv', Buffer.from('\uFEFFa\n\u00e9\n', 'utf16le'), 'text/csv');
    assert.deepEqual((await parse({ file: utf16, encoding: 'utf-16le' }, null, ctx)).rows, [{ a: 'é' }]);
  });

  it('says what is missing', async () => {
    await assert.rejects(parse({}), /Nothing to read: set "text" or "file"/);
    await assert.rejects(parse({ file: { nope: true } }), /"file" must be a file of this run/);
    await assert.rejects(parse({ file: 'file-99' }), /no artifact file-99/);
  });
});

describe('files.csvBuild', () => {
  it('writes object rows with every key as a column, quoting what needs it, CRLF by default', async () => {
    const result = await runNode(csvBuildNode, {
      args: {
        rows: [
          { id: 1, name: 'Smith, Ann', note: 'said "hi"' },
          { id: 2, name: 'Bob', extra: { nested: [1, 2] }, note: 'two\nlines', flag: true, none: null },
        ],
      },
    });
    const output = result.output as { file: { id: string; name: string; contentType: string; size: number }; rowCount: number };
    assert.equal(output.rowCount, 2);
    assert.equal(output.file.name, 'data.csv');
    const written = result.ctx.writtenFiles.get('data.csv')!;
    assert.equal(written.contentType, 'text/csv; charset=utf-8');
    assert.equal(output.file.size, written.data.length);
    assert.equal(
      written.data.toString('utf8'),
      'id,name,note,extra,flag,none\r\n1,"Smith, Ann","said ""hi""",,,\r\n2,Bob,"two\nlines","{""nested"":[1,2]}",true,\r\n',
    );
  });

  it('takes the columns to write and their order, array rows, and other formats', async () => {
    const rows = [{ a: 1, b: 2, c: 3 }];
    const text = async (args: Parameters<typeof runNode<typeof csvBuildNode>>[1]['args'], input?: unknown) =>
      ((await runNode(csvBuildNode, { args: { output: 'text', ...args }, input })).output as { text: string }).text;
    assert.equal(await text({ rows, columns: ['c', 'a'] }), 'c,a\r\n3,1\r\n');
    assert.equal(await text({ rows, header: false, lineEnding: 'lf', delimiter: ';' }), '1;2;3\n');
    assert.equal(await text({ rows: [['x', 'y;z'], [1, null]], delimiter: ';' }), 'x;"y;z"\r\n1;\r\n');
    assert.equal(await text({ rows, bom: true }), '\uFEFFa,b,c\r\n1,2,3\r\n');
    assert.equal(await text({ rows: [{ f: '=HYPERLINK("x")', g: '+1', h: 'ok' }], escapeFormulas: true }), 'f,g,h\r\n"\'=HYPERLINK(""x"")",\'+1,ok\r\n');
    assert.equal(await text({ rows: [{ v: ' padded ' }] }), 'v\r\n" padded "\r\n');
    assert.equal(await text({}, { rows, rowCount: 1 }), 'a,b,c\r\n1,2,3\r\n', 'the output of postgres.query or files.csvParse as input');
    assert.equal(await text({}, [{ only: 'x' }]), 'only\r\nx\r\n');
  });

  it('refuses what is not rows', async () => {
    await assert.rejects(runNode(csvBuildNode, { args: {}, input: 'text' }), /No rows: set "rows"/);
    await assert.rejects(runNode(csvBuildNode, { args: { rows: [{ a: 1 }, [1]] } }), /Every row must be an object, or every row an array/);
  });

  it('round-trips through files.csvParse', async () => {
    const ctx = createMockContext();
    const rows = [
      { id: '1', text: 'comma, "quote", newline\r\nand unicode ✓' },
      { id: '2', text: '' },
    ];
    const built = await runNode(csvBuildNode, { args: { rows, filename: 'round' }, ctx: { files: ctx.files } });
    const file = (built.output as { file: { name: string } }).file;
    assert.equal(file.name, 'round.csv');
    assert.deepEqual((await parse({}, built.output, ctx)).rows, rows);
  });
});

describe('the plugin', () => {
  it('is the package it ships in, with its UI', () => {
    const manifest = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));
    assert.equal(plugin.id, manifest.name);
    assert.equal(plugin.version, manifest.version);
    assert.deepEqual(manifest.piper, { plugin: 'dist/index.js', ui: 'dist/ui' });
  });
});
