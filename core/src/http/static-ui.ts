import { createReadStream } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import type Koa from 'koa';

/** Paths the API owns; everything else GET is the single-page app. */
const SERVER_PREFIXES = ['/api/', '/hooks/', '/plugin-ui/', '/socket.io/', '/health', '/metrics'];

export const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.map': 'application/json',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
  '.txt': 'text/plain; charset=utf-8',
};

/**
 * Serves the built UI (`uiDir`): its files, and index.html for every other page path so that the
 * client-side router takes over (/manager/pipelines/…, /client/runs/…). Hashed assets are cached
 * for good; index.html never, so a new build is picked up at once.
 */
export function staticUi(uiDir: string): Koa.Middleware {
  const root = path.resolve(uiDir);
  return async (ctx, next) => {
    if ((ctx.method !== 'GET' && ctx.method !== 'HEAD') || SERVER_PREFIXES.some((prefix) => ctx.path === prefix.replace(/\/$/, '') || ctx.path.startsWith(prefix))) {
      return next();
    }
    let relative: string;
    try {
      relative = decodeURIComponent(ctx.path);
    } catch {
      return next();
    }
    const file = path.resolve(root, '.' + relative);
    if (file.startsWith(root + path.sep)) {
      const stat = await fs.stat(file).catch(() => null);
      if (stat?.isFile()) return send(ctx, file, stat.size, relative.startsWith('/assets/') ? 'public, max-age=31536000, immutable' : 'no-cache');
      // A missing asset is a 404, not the page: a stale tab must not parse HTML as JavaScript.
      if (path.extname(relative) && relative !== '/index.html') return next();
    }
    const index = path.join(root, 'index.html');
    const stat = await fs.stat(index).catch(() => null);
    if (!stat) return next();
    return send(ctx, index, stat.size, 'no-cache');
  };
}

function send(ctx: Koa.Context, file: string, size: number, cacheControl: string) {
  ctx.state.routePath = 'ui';
  ctx.status = 200;
  // HEAD gets the headers only: a stream nobody reads would hold its file open.
  if (ctx.method === 'GET') ctx.body = createReadStream(file);
  ctx.type = CONTENT_TYPES[path.extname(file)] ?? 'application/octet-stream';
  ctx.length = size;
  ctx.set('Cache-Control', cacheControl);
  ctx.set('X-Content-Type-Options', 'nosniff');
}
