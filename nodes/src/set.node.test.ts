import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { runNode } from '@piper/sdk/testing';
import { setNode } from './set.node.js';

describe('core.set', () => {
  it('outputs its value, ignoring the input', async () => {
    const result = await runNode(setNode, { input: { a: 1 }, args: { value: { b: [1, 2] } } });
    assert.deepEqual(result.output, { b: [1, 2] });
    assert.equal(result.handle, 'main');
  });
});
