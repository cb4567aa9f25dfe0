/** The files of a new plugin package, made by `piper-plugin create <name>`. */
export function scaffold(packageName: string, sdkVersion: string): Record<string, string> {
  const short = packageName.replace(/^@[^/]+\//, '').replace(/^piper-plugin-|^plugin-/, '');
  const prefix = short.replace(/[^A-Za-z0-9]+(.)?/g, (_, c: string | undefined) => (c ? c.toUpperCase() : '')).replace(/^[A-Z]/, (c) => c.toLowerCase()) || 'plugin';
  const nodeType = `${prefix}.greet`;
  return {
    'package.json': JSON.stringify(
      {
        name: packageName,
        version: '0.1.0',
        description: `Piper plugin ${packageName}`,
        type: 'module',
        exports: { '.': { types: './dist/index.d.ts', import: './dist/index.js' } },
        files: ['dist', 'README.md'],
        piper: { plugin: 'dist/index.js' },
        scripts: { build: 'piper-plugin build', validate: 'piper-plugin validate', test: 'piper-plugin build && node --test dist/', prepublishOnly: 'piper-plugin build && piper-plugin validate' },
        peerDependencies: { '@piper/sdk': `^${sdkVersion}` },
        devDependencies: { '@piper/sdk': `^${sdkVersion}`, '@types/node': '^20.19.0', typescript: '^5.9.0' },
      },
      null,
      2,
    ),
    'tsconfig.json': JSON.stringify(
      {
        compilerOptions: { target: 'ES2022', module: 'NodeNext', moduleResolution: 'NodeNext', strict: true, declaration: true, outDir: 'dist', rootDir: 'src', skipLibCheck: true, types: ['node'] },
        include: ['src'],
      },
      null,
      2,
    ),
    '.gitignore': 'node_modules/\ndist/\n*.tgz\n',
    'src/index.ts': `import { defineNode, definePlugin } from '@piper/sdk';

/** Greets someone: replace it with what your node does. */
export const greetNode = defineNode({
  type: '${nodeType}',
  version: '1.0.0',
  name: 'Greet',
  description: 'Says hello to someone',
  category: 'Examples',
  args: {
    type: 'object',
    required: ['name'],
    properties: { name: { type: 'string', title: 'Name', default: 'world' } },
  } as const,
  ui: { name: { 'ui:placeholder': 'Who to greet' } },
  async handler(input, args, ctx) {
    ctx.log.info(\`greeting \${args.name}\`);
    return { greeting: \`Hello, \${args.name}!\`, input };
  },
});

export default definePlugin({ id: '${packageName}', version: '0.1.0', nodes: [greetNode] });
`,
    'src/index.test.ts': `import assert from 'node:assert/strict';
import { test } from 'node:test';
import { runNode } from '@piper/sdk/testing';
import { greetNode } from './index.js';

test('greets by name', async () => {
  const { output, ctx } = await runNode(greetNode, { input: { n: 1 }, args: { name: 'Ann' } });
  assert.deepEqual(output, { greeting: 'Hello, Ann!', input: { n: 1 } });
  assert.equal(ctx.logs.length, 1);
});
`,
    'README.md': `# ${packageName}

A [Piper](https://github.com/) plugin. Node types: \`${nodeType}\`.

- \`npm run build\` compiles \`src/\` to \`dist/\`; \`npm test\` runs the tests with Piper's \`runNode\` harness.
- \`npx piper-plugin validate\` checks the manifest, the schemas and the names.
- \`npx piper-plugin dev --url http://localhost:3000 --token <an instance admin's token>\` loads it into a running Piper.
- \`npx piper-plugin publish\` publishes it to your npm registry; an instance admin installs it with
  \`POST /api/plugins { "package": "${packageName}" }\` or from the admin console.

Plugins run inside the Piper worker as trusted server code.
`,
  };
}
