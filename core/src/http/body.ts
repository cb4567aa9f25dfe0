import type Koa from 'koa';
import { badRequest, tooLarge } from './errors.js';

const METHODS_WITH_BODY = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

/**
 * Reads a JSON body up to `limit` bytes: a larger one is refused with 413 before it is
 * buffered, malformed JSON with 400. Other content is left to the routes that take it.
 */
export function jsonBody(limit: number): Koa.Middleware {
  return async (ctx, next) => {
    if (!METHODS_WITH_BODY.has(ctx.method) || ctx.is('multipart')) return next();
    const declared = Number(ctx.get('content-length') || 0);
    if (declared > limit) throw tooLarge(limit);
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of ctx.req) {
      size += (chunk as Buffer).length;
      if (size > limit) throw tooLarge(limit);
      chunks.push(chunk as Buffer);
    }
    const text = Buffer.concat(chunks).toString('utf8');
    if (text.trim() === '') {
      ctx.request.body = undefined;
    } else {
      try {
        ctx.request.body = JSON.parse(text);
      } catch (error) {
        throw badRequest('The request body is not valid JSON', { parseError: (error as Error).message });
      }
    }
    return next();
  };
}

declare module 'koa' {
  interface Request {
    body?: unknown;
  }
}
