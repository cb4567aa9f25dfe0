import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { runNode } from '@piper/sdk/testing';
import { delayNode } from './delay.node.js';

describe('core.delay', () => {
  it('waits, then outputs its input', async () => {
    const started = Date.now();
    const result = await runNode(delayNode, { input: { a: 1 }, args: { ms: 50 } });
    assert.ok(Date.now() - started >= 45);
    assert.deepEqual(result.output, { a: 1 });
  });

  it('stops waiting when its signal aborts', async () => {
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 20);
    const started = Date.now();
    await assert.rejects(runNode(delayNode, { input: null, args: { ms: 10_000 }, ctx: { signal: controller.signal } }), { name: 'AbortError' });
    assert.ok(Date.now() - started < 1000);
  });
});
