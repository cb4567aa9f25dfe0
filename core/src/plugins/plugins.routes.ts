import { createReadStream } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import { notFound } from '../http/errors.js';
import { route } from '../http/route.js';

const tag = 'Plugins and node types';
const CONTENT_TYPES: Record<string, string> = {
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.map': 'application/json',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.woff2': 'font/woff2',
};

export const pluginsRoutes = [
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
