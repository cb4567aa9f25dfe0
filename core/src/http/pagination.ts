import { badRequest } from './errors.js';

/** Opaque keyset cursors: the sort key of the last row of the previous page. */
export function encodeCursor(...parts: string[]): string {
  return Buffer.from(JSON.stringify(parts)).toString('base64url');
}

export function decodeCursor(cursor: string): string[] {
  try {
    const parts: unknown = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    if (Array.isArray(parts) && parts.every((part) => typeof part === 'string')) return parts;
  } catch {
    // fall through to the error below
  }
  throw badRequest('Invalid cursor', { cursor });
}
