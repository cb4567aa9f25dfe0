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
    assert.deepEqual(requests, [{ language: 'python', code: 'def main(i, a): return i', trust: 'restricted', timeoutMs: undefined, memoryMb: undefined, input: { n: 1 }, args: { extra: 'x' }, env: undefined }]);
  });

  it("passes the node's credential to the script as CREDENTIAL_* environment variables", async () => {
    const requests: ScriptRequest[] = [];
    const sandbox = { run: async () => null, script: async (request: ScriptRequest) => (requests.push(request), null) };
    const credentials = { kind: 'oauth2ClientCredentials', clientSecret: 's3cr3t', scopes: ['a', 'b'], missing: null };
    await runNode(scriptNode, { input: null, args: { language: 'bash', code: 'echo null' } as never, ctx: { sandbox }, credentials });
    assert.deepEqual(requests[0]?.env, { CREDENTIAL_KIND: 'oauth2ClientCredentials', CREDENTIAL_CLIENT_SECRET: 's3cr3t', CREDENTIAL_SCOPES: '["a","b"]' });
  });
});
