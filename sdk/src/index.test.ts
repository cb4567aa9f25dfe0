import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { branch, defineNode, definePlugin, isBranch } from './index.js';

const greet = defineNode({
  type: 'test.greet',
  version: '1.0.0',
  name: 'Greet',
  args: { type: 'object', required: ['name'], additionalProperties: false, properties: { name: { type: 'string' }, times: { type: 'integer' } } } as const,
  handler(_input, args) {
    const name: string = args.name;
    // @ts-expect-error `times` is optional in the schema, so it may be undefined
    const times: number = args.times;
    // @ts-expect-error an arg the schema does not declare
    void args.unknown;
    return `hello ${name}`.repeat(times ?? 1);
  },
});

describe('sdk', () => {
  it('infers handler args from the JSON Schema and keeps the definition as given', async () => {
    const plugin = definePlugin({ id: '@test/greet', version: '1.0.0', nodes: [greet] });
    assert.equal(plugin.nodes[0], greet);
    assert.equal(await greet.handler(null, { name: 'Ada' }, undefined as never, undefined), 'hello Ada');
  });

  it('marks a branch result so the engine can route it', () => {
    const result = branch('true', { ok: 1 });
    assert.ok(isBranch(result));
    assert.equal(result.handle, 'true');
    assert.deepEqual(result.output, { ok: 1 });
    assert.ok(!isBranch({ handle: 'true', output: 1 }), 'a look-alike plain object is not a branch');
  });
});
