import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { runNode } from '@piper/sdk/testing';
import { ifNode } from './if.node.js';

describe('core.if', () => {
  it('passes its input on `true` when the resolved condition holds', async () => {
    const result = await runNode(ifNode, { input: { n: 5 }, args: { condition: true } });
    assert.equal(result.handle, 'true');
    assert.deepEqual(result.output, { n: 5 });
  });

  it('passes its input on `false` otherwise, including for "false" and empty text', async () => {
    for (const condition of [false, 0, null, 'false', '', '0']) {
      assert.equal((await runNode(ifNode, { input: 1, args: { condition } })).handle, 'false', JSON.stringify(condition));
    }
  });

  it('evaluates a bare expression over the input in the sandbox', async () => {
    const calls: Array<[string, unknown]> = [];
    const sandbox = { run: async (code: string, scope: Record<string, unknown>) => (calls.push([code, scope]), (scope.n as number) > 3) };
    const result = await runNode(ifNode, { input: { n: 5 }, args: { condition: 'n > 3' }, ctx: { sandbox: sandbox as never } });
    assert.equal(result.handle, 'true');
    assert.equal(calls[0]![0], 'return (n > 3);');
  });
});
