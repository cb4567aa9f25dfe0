import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';

export const KEY_FILE = 'master.key';

/** A value that identifies a master key without revealing it; the database keeps the current one's. */
export function masterKeyCheck(key: Buffer): string {
  return createHmac('sha256', key).update('piper:master-key-check').digest('base64');
}

export function sameCheck(stored: string, check: string): boolean {
  const a = Buffer.from(stored);
  const b = Buffer.from(check);
  return a.length === b.length && timingSafeEqual(a, b);
}

export function encodeMasterKey(key: Buffer): string {
  return key.toString('base64');
}

export function decodeMasterKey(base64: string, source: string): Buffer {
  const key = Buffer.from(base64.trim(), 'base64');
  if (key.length !== 32) throw new Error(`${source} must be 32 bytes encoded in base64 (got ${key.length} bytes)`);
  return key;
}

/**
 * The instance's master key: PIPER_MASTER_KEY when set, otherwise a key made once and kept
 * in the data directory. Everything secret (credential data keys, token signing) derives from it.
 */
export async function loadMasterKey(dataDir: string, fromEnv: string | undefined): Promise<Buffer> {
  if (fromEnv) return decodeMasterKey(fromEnv, 'PIPER_MASTER_KEY');
  const file = path.join(dataDir, KEY_FILE);
  try {
    return decodeMasterKey(await fs.readFile(file, 'utf8'), file);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  await fs.mkdir(dataDir, { recursive: true });
  const key = randomBytes(32);
  try {
    await fs.writeFile(file, key.toString('base64') + '\n', { mode: 0o600, flag: 'wx' });
    return key;
  } catch (error) {
    // Another process created it first: use theirs.
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return decodeMasterKey(await fs.readFile(file, 'utf8'), file);
    throw error;
  }
}
