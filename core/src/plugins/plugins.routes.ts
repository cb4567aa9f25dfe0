import { createReadStream } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import Busboy from 'busboy';
import type Koa from 'koa';
import { Ajv } from 'ajv';
import { readJsonBody } from '../http/body.js';
import { badRequest, invalid, notFound, tooLarge } from '../http/errors.js';
import { CONTENT_TYPES } from '../http/static-ui.js';
import { route } from '../http/route.js';

const tag = 'Plugins and node types';

/** The `.tgz` of a multipart upload's `file` field. */
async function uploadedTarball(koa: Koa.Context, limit: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    let parser: Busboy.Busboy;
    try {
      parser = Busboy({ headers: koa.req.headers, limits: { files: 1, fileSize: limit } });
    } catch (error) {
      return reject(badRequest(`Not a multipart upload: ${(error as Error).message}`));
    }
    let found: Buffer | undefined;
    let truncated = false;
    parser.on('file', (field, stream) => {
      const chunks: Buffer[] = [];
      stream.on('data', (chunk: Buffer) => field === 'file' && chunks.push(chunk));
      stream.on('limit', () => (truncated = true));
      stream.on('end', () => field === 'file' && (found = Buffer.concat(chunks)));
    });
    parser.on('error', (error) => reject(badRequest(`The upload is malformed: ${(error as Error).message}`)));
    parser.on('close', () => {
      if (truncated) reject(tooLarge(limit));
      else if (!found) reject(invalid([{ in: 'body', path: '/file', message: 'a .tgz in the field "file" is required' }]));
      else resolve(found);
    });
    koa.req.pipe(parser);
  });
}

const installBody = {
  type: 'object',
  required: ['package'],
  additionalProperties: false,
  properties: { package: { type: 'string', minLength: 1, maxLength: 214 }, version: { type: 'string', minLength: 1, maxLength: 64 } },
} as const;
const validateInstall = new Ajv({ allErrors: true }).compile<{ package: string; version?: string }>(installBody);

export const pluginsRoutes = [
  route({
    method: 'post',
    path: '/api/plugins',
    summary:
      'Install a plugin: JSON { package, version? } from the npm registry, or a multipart upload of a .tgz in the field "file". ' +
      'Plugins run as trusted server code. A package that fails to load is refused with its error',
    tag,
    access: ['instanceAdmin'],
    status: 201,
    handler: async ({ services, caller, koa }) => {
      if (koa.is('multipart/form-data')) return services.pluginInstaller.install(caller, await uploadedTarball(koa, 50 * 1024 * 1024), 'upload');
      const body = await readJsonBody(koa, services.config.bodyLimitBytes);
      if (body === undefined) throw invalid([{ in: 'body', path: '/', message: 'a JSON body { package, version? } or a multipart upload is required' }]);
      if (!validateInstall(body)) throw invalid(validateInstall.errors?.map((e) => ({ in: 'body', path: e.instancePath || '/', message: e.message })));
      return services.pluginInstaller.install(caller, await services.pluginInstaller.fetch(body.package, body.version), 'registry');
    },
  }),
  route({
    method: 'delete',
    path: '/api/plugins/:id',
    summary: 'Remove an installed plugin version; refused (409) while published pipelines use a node type only it provides',
    tag,
    access: ['instanceAdmin'],
    status: 204,
    handler: ({ services, caller, params }) => services.pluginInstaller.remove(caller, params.id),
  }),
  route({
    method: 'get',
    path: '/api/plugins',
    summary: 'Installed plugins with their status, load error, node types, UI and enablement for your org. Plugins are trusted server code.',
    tag,
    access: ['admin'],
    handler: ({ services, caller }) => services.plugins.list(caller),
  }),
  route({
    method: 'patch',
    path: '/api/plugins/:id',
    summary: "Enable or disable a plugin for your org: its node types leave your org's editor and validation",
    tag,
    access: ['admin'],
    body: { type: 'object', required: ['enabled'], additionalProperties: false, properties: { enabled: { type: 'boolean' } } },
    handler: ({ services, caller, params, body }) => services.plugins.setEnabled(caller, params.id, body.enabled),
  }),
  route({
    method: 'get',
    path: '/plugin-ui/:pluginId/:version/*file',
    summary: "A file of a plugin's UI (a module federation remote), loaded by the editor at run time",
    tag,
    access: 'public',
    freeParams: ['pluginId', 'version', 'file'],
    handler: async ({ services, params, koa }) => {
      const dir = services.plugins.uiDir(params.pluginId, params.version);
      if (!dir) throw notFound('Plugin UI');
      const file = path.resolve(dir, params.file);
      if (!file.startsWith(dir + path.sep)) throw notFound('File');
      const stat = await fs.stat(file).catch(() => null);
      if (!stat?.isFile()) throw notFound('File');
      koa.type = CONTENT_TYPES[path.extname(file)] ?? 'application/octet-stream';
      koa.length = stat.size;
      // A version's files never change.
      koa.set('Cache-Control', 'public, max-age=31536000, immutable');
      koa.set('Access-Control-Allow-Origin', '*');
      return createReadStream(file);
    },
  }),
];
