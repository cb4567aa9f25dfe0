import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createMockContext, runNode } from '@piper/sdk/testing';
import { jsonBuildNode } from './json-build.node.js';
import { jsonParseNode } from './json-parse.node.js';

describe('files.jsonParse', () => {
  it('parses text, a file of the run, or its input', async () => {
    assert.deepEqual((await runNode(jsonParseNode, { args: { text: '{"a":[1,true,null]}' } })).output, { a: [1, true, null] });
    const ctx = createMockContext();
    const file = await ctx.files.write('in.json', '\uFEFF{"é": "ü"}', 'application/json');
    assert.deepEqual((await runNode(jsonParseNode, { args: { file }, ctx: { files: ctx.files } })).output, { é: 'ü' });
    assert.deepEqual((await runNode(jsonParseNode, { args: {}, input: { file }, ctx: { files: ctx.files } })).output, { é: 'ü' });
    assert.equal((await runNode(jsonParseNode, { args: {}, input: '42' })).output, 42);
  });

  it('says where the syntax error is', async () => {
    await assert.rejects(runNode(jsonParseNode, { args: { text: '{\n  "a": 1\n  "b": 2}' } }), /^Error: The text is not JSON \(line 3, column 3\): Expected ','/);
    await assert.rejects(runNode(jsonParseNode, { args: { text: '{"a": }' } }), /^Error: The text is not JSON.*: Unexpected token/);
  });

  it('reads JSON Lines, skipping blank lines, and names the bad line', async () => {
    assert.deepEqual((await runNode(jsonParseNode, { args: { text: '{"n":1}\r\n\n{"n":2}\n', format: 'jsonl' } })).output, [{ n: 1 }, { n: 2 }]);
    await assert.rejects(runNode(jsonParseNode, { args: { text: '{"n":1}\n{oops}\n', format: 'jsonl' } }), /^Error: Line 2 of the text is not JSON: /);
  });
});

describe('files.jsonBuild', () => {
  it('writes the data, indented by default, or compact', async () => {
    const pretty = await runNode(jsonBuildNode, { args: { data: { a: [1, 2] } } });
    assert.equal(pretty.ctx.writtenFiles.get('data.json')!.data.toString(), '{\n  "a": [\n    1,\n    2\n  ]\n}\n');
    assert.equal(pretty.ctx.writtenFiles.get('data.json')!.contentType, 'application/json');
    assert.deepEqual((pretty.output as { file: { name: string } }).file.name, 'data.json');
    const compact = await runNode(jsonBuildNode, { args: { pretty: false, filename: 'out' }, input: { from: 'input' } });
    assert.equal(compact.ctx.writtenFiles.get('out.json')!.data.toString(), '{"from":"input"}\n');
  });

  it('writes JSON Lines from an array, and refuses anything else', async () => {
    const lines = await runNode(jsonBuildNode, { args: { data: [{ n: 1 }, 'two', null], format: 'jsonl' } });
    assert.equal(lines.ctx.writtenFiles.get('data.jsonl')!.data.toString(), '{"n":1}\n"two"\nnull\n');
    assert.equal(lines.ctx.writtenFiles.get('data.jsonl')!.contentType, 'application/x-ndjson');
    await assert.rejects(runNode(jsonBuildNode, { args: { data: { n: 1 }, format: 'jsonl' } }), /JSON Lines needs an array/);
  });

  it('round-trips through files.jsonParse', async () => {
    const ctx = createMockContext();
    const data = { text: 'line\nbreak "quoted" ✓', list: [1.5, -2, null, { deep: true }] };
    for (const format of ['json', 'jsonl'] as const) {
      const value = format === 'jsonl' ? [data, data] : data;
      const built = await runNode(jsonBuildNode, { args: { data: value, format }, ctx: { files: ctx.files } });
      assert.deepEqual((await runNode(jsonParseNode, { args: { format }, input: built.output, ctx: { files: ctx.files } })).output, value);
    }
  });
});
