import { randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';

const KEY_FILE = 'master.key';

function decode(base64: string, source: string): Buffer {
  const key = Buffer.from(base64.trim(), 'base64');
  if (key.length !== 32) throw new Error(`${source} must be 32 bytes encoded in base64 (got ${key.length} bytes)`);
  return key;
}

/**
 * The instance's master key: PIPER_MASTER_KEY when set, otherwise a key made once and kept
 * in the data directory. Everything secret (credential data keys, token signing) derives from it.
 */
export async function loadMasterKey(dataDir: string, fromEnv: string | undefined): Promise<Buffer> {
  if (fromEnv) return decode(fromEnv, 'PIPER_MASTER_KEY');
  const file = path.join(dataDir, KEY_FILE);
  try {
    return decode(await fs.readFile(file, 'utf8'), file);
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
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return decode(await fs.readFile(file, 'utf8'), file);
    throw error;
  }
}
