/**
 * piper-plugin: the plugin author's command line (bin/piper-plugin.js runs `main`).
 *   create <name> [dir]     scaffold a plugin package with one node, its test and a README
 *   build                   compile src/ to dist/ (and ui/ as a module federation remote, when present)
 *   validate                check the built package as Piper will load it
 *   pack                    make the .tgz an admin can upload
 *   publish [--registry R]  publish to the npm registry (PIPER_NPM_REGISTRY, else npm's configuration)
 *   dev --url U --token T   build, validate and load it into a running Piper as a fresh dev version
 */
import { execFile, spawn } from 'node:child_process';
import fs from 'node:fs/promises';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { scaffold } from './scaffold.js';
import { validatePlugin } from './validate.js';

const execFileAsync = promisify(execFile);
const sdkDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

function option(args: string[], name: string): string | undefined {
  const index = args.indexOf(`--${name}`);
  return index >= 0 ? args[index + 1] : undefined;
}

/** Runs a command with inherited output; rejects with its exit code. */
function sh(command: string, args: string[], cwd: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd, stdio: 'inherit' });
    child.on('error', reject);
    child.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`${path.basename(command)} ${args[0] ?? ''} exited with ${code}`))));
  });
}

/** A tool's entry resolved from the plugin's own dependencies, else from where the SDK is installed. */
function resolveTool(dir: string, specifier: string): string {
  for (const base of [path.join(dir, 'package.json'), path.join(sdkDir, 'package.json')]) {
    try {
      return createRequire(base).resolve(specifier);
    } catch {
      // not there
    }
  }
  throw new Error(`${specifier} is not installed: add it to the plugin's devDependencies`);
}

/** Lets a plugin outside a workspace compile and test against this SDK when it has none installed. */
async function linkSdk(dir: string): Promise<void> {
  const link = path.join(dir, 'node_modules', '@piper', 'sdk');
  if (await fs.access(path.join(link, 'package.json')).then(() => true, () => false)) return;
  await fs.mkdir(path.dirname(link), { recursive: true });
  await fs.rm(link, { recursive: true, force: true });
  await fs.symlink(sdkDir, link, 'dir');
}

async function build(dir: string): Promise<void> {
  await linkSdk(dir);
  await sh(process.execPath, [resolveTool(dir, 'typescript/bin/tsc'), '-p', 'tsconfig.json'], dir);
  for (const config of ['ui/vite.config.ts', 'ui/vite.config.js', 'ui/vite.config.mjs']) {
    if (await fs.access(path.join(dir, config)).then(() => true, () => false)) {
      await sh(process.execPath, [resolveTool(dir, 'vite/bin/vite.js'), 'build', '--config', config], dir);
      break;
    }
  }
}

async function validate(dir: string): Promise<void> {
  const problems = await validatePlugin(dir);
  if (problems.length) throw new Error(`The plugin is not valid:\n  - ${problems.join('\n  - ')}`);
  console.log('The plugin is valid.');
}

async function pack(dir: string, destination = dir): Promise<string> {
  const { stdout } = await execFileAsync('npm', ['pack', '--json', '--pack-destination', destination], { cwd: dir });
  return path.join(destination, (JSON.parse(stdout) as Array<{ filename: string }>)[0]!.filename);
}

/** Packs a copy with a unique prerelease version and uploads it to a running Piper. */
async function dev(dir: string, url: string, token: string): Promise<void> {
  await build(dir);
  await validate(dir);
  const staging = await fs.mkdtemp(path.join(os.tmpdir(), 'piper-plugin-dev-'));
  try {
    const copy = path.join(staging, 'package');
    await fs.cp(dir, copy, { recursive: true, filter: (source) => !source.includes(`${path.sep}node_modules`) && !source.endsWith('.tgz') });
    const manifest = JSON.parse(await fs.readFile(path.join(copy, 'package.json'), 'utf8'));
    manifest.version = `${manifest.version.split('-')[0]}-dev.${Date.now()}`;
    await fs.writeFile(path.join(copy, 'package.json'), JSON.stringify(manifest, null, 2));
    const file = await pack(copy, staging);
    const form = new FormData();
    form.set('file', new Blob([await fs.readFile(file)]), path.basename(file));
    const response = await fetch(new URL('/api/plugins', url), { method: 'POST', headers: { authorization: `Bearer ${token}` }, body: form });
    const body = (await response.json()) as { nodeTypes: Array<{ type: string; version: string }> };
    if (response.status !== 201) throw new Error(`Piper refused the plugin (${response.status}): ${JSON.stringify(body)}`);
    console.log(`Loaded ${manifest.name}@${manifest.version} into ${url}: ${body.nodeTypes.map((t) => `${t.type}@${t.version}`).join(', ')}`);
  } finally {
    await fs.rm(staging, { recursive: true, force: true });
  }
}

async function create(name: string | undefined, target: string | undefined): Promise<void> {
  if (!name || !/^(@[a-z0-9][a-z0-9._-]*\/)?[a-z0-9][a-z0-9._-]*$/.test(name)) throw new Error('Usage: piper-plugin create <npm package name> [directory]');
  const dir = path.resolve(target ?? name.replace(/^@[^/]+\//, ''));
  if (await fs.access(dir).then(() => true, () => false)) throw new Error(`${dir} already exists`);
  const sdkVersion = JSON.parse(await fs.readFile(path.join(sdkDir, 'package.json'), 'utf8')).version as string;
  for (const [file, text] of Object.entries(scaffold(name, sdkVersion))) {
    await fs.mkdir(path.dirname(path.join(dir, file)), { recursive: true });
    await fs.writeFile(path.join(dir, file), text);
  }
  console.log(`Created ${name} in ${dir}. Next: cd ${path.relative(process.cwd(), dir) || '.'} && npm install && npm run build && npm test`);
}

export async function main(argv: string[]): Promise<void> {
  const [command, ...args] = argv;
  const dir = path.resolve(option(args, 'dir') ?? '.');
  switch (command) {
    case 'create':
      return create(args[0], args[1] && !args[1].startsWith('--') ? args[1] : undefined);
    case 'build':
      return build(dir);
    case 'validate':
      return validate(dir);
    case 'pack':
      console.log(await pack(dir));
      return;
    case 'publish': {
      const registry = option(args, 'registry') ?? process.env.PIPER_NPM_REGISTRY;
      return sh('npm', ['publish', ...(registry ? ['--registry', registry] : [])], dir);
    }
    case 'dev': {
      const url = option(args, 'url') ?? process.env.PIPER_URL ?? 'http://localhost:3000';
      const token = option(args, 'token') ?? process.env.PIPER_TOKEN;
      if (!token) throw new Error('dev needs an instance admin token: --token <token> or PIPER_TOKEN');
      return dev(dir, url, token);
    }
    default:
      console.log(`Usage: piper-plugin <create <name> [dir] | build | validate | pack | publish [--registry URL] | dev --url URL --token TOKEN> [--dir DIR]`);
      if (command && command !== 'help' && command !== '--help') process.exitCode = 1;
  }
}

