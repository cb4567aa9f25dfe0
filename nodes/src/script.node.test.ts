import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ScriptRequest } from '@piper/sdk';
import { runNode } from '@piper/sdk/testing';
import { scriptNode } from './script.node.js';

describe('core.script', () => {
  it('hands the code, the input and the remaining args to the container sandbox, restricted by default', async () => {
    const requests: ScriptRequest[] = [];
    const sandbox = { run: async () => null, script: async (request: ScriptRequest) => (requests.push(request), { ok: true }) };
    const result = await runNode(scriptNode, { input: { n: 1 }, args: { language: 'python', code: 'def main(i, a): return i', extra: 'x' } as never, ctx: { sandbox } });
    assert.deepEqual(result.output, { ok: true });
    assert.deepEqual(requests, [{ language: 'python', code: 'def main(i, a): return i', trust: 'restricted', timeoutMs: undefined, memoryMb: undefined, input: { n: 1 }, args: { extra: 'x' } }]);
  });
});
