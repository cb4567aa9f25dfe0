import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { validatePlugin } from './validate.js';

const dirs: string[] = [];
after(() => Promise.all(dirs.map((dir) => fs.rm(dir, { recursive: true, force: true }))));

/** A built plugin package on disk whose one credential type has `schema` and `secretFields`. */
async function pluginWithCredential(schema: object, secretFields: string[]): Promise<string> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'piper-validate-'));
  dirs.push(dir);
  await fs.writeFile(path.join(dir, 'package.json'), JSON.stringify({ name: '@test/creds', version: '1.0.0', type: 'module', piper: { plugin: 'index.js' } }));
  const plugin = { id: '@test/creds', version: '1.0.0', nodes: [], credentialTypes: [{ type: 'test.login', name: 'Login', schema, secretFields }] };
  await fs.writeFile(path.join(dir, 'index.js'), `export default ${JSON.stringify(plugin)};`);
  return dir;
}

describe('piper-plugin validate', () => {
  it('finds secret fields declared in a conditional branch of the schema', async () => {
    const schema = {
      type: 'object',
      properties: { kind: { enum: ['key', 'login'] } },
      allOf: [
        { if: { properties: { kind: { const: 'key' } } }, then: { properties: { apiKey: { type: 'string' } } } },
        { if: { properties: { kind: { const: 'login' } } }, then: { properties: { user: { type: 'string' } } }, else: { oneOf: [{ properties: { password: { type: 'string' } } }] } },
      ],
    };
    assert.deepEqual(await validatePlugin(await pluginWithCredential(schema, ['apiKey', 'password'])), []);
  });

  it('reports a secret field the schema does not have', async () => {
    const problems = await validatePlugin(await pluginWithCredential({ type: 'object', properties: { user: { type: 'string' } } }, ['pasword']));
    assert.deepEqual(problems, ['credential type test.login: secret field "pasword" is not in the schema']);
  });
});
