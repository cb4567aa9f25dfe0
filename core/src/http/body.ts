import type Koa from 'koa';
import { badRequest, tooLarge } from './errors.js';

/** Reads a body up to `limit` bytes: a larger one is refused with 413 before it is buffered. */
export async function readRawBody(ctx: Koa.Context, limit: number): Promise<Buffer> {
  const declared = Number(ctx.get('content-length') || 0);
  if (declared > limit) throw tooLarge(limit);
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of ctx.req) {
    size += (chunk as Buffer).length;
    if (size > limit) throw tooLarge(limit);
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

/** Reads a JSON body up to `limit` bytes (413 beyond), malformed JSON with 400. An empty body reads as undefined. */
export async function readJsonBody(ctx: Koa.Context, limit: number): Promise<unknown> {
  const text = (await readRawBody(ctx, limit)).toString('utf8');
  if (text.trim() === '') return undefined;
  try {
    return JSON.parse(text);
  } catch (error) {
    throw badRequest('The request body is not valid JSON', { parseError: (error as Error).message });
  }
}
