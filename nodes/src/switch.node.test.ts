import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { runNode } from '@piper/sdk/testing';
import { switchNode } from './switch.node.js';

describe('core.switch', () => {
  it('emits on the first case whose condition holds', async () => {
    const cases = [
      { handle: 'small', condition: false },
      { handle: 'medium', condition: true },
      { handle: 'large', condition: true },
    ];
    const result = await runNode(switchNode, { input: 'x', args: { cases } });
    assert.equal(result.handle, 'medium');
    assert.equal(result.output, 'x');
  });

  it('emits on `default` when no case holds', async () => {
    const result = await runNode(switchNode, { input: 'x', args: { cases: [{ handle: 'a', condition: false }] } });
    assert.equal(result.handle, 'default');
  });
});
