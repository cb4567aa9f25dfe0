import { randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import { loadConfig } from '../config/config.js';
import { decodeMasterKey, encodeMasterKey, KEY_FILE, loadMasterKey } from '../config/master-key.js';
import { rotateMasterKey } from '../credentials/rotation.js';
import { createLogger, openDatabase } from '../server.js';

/**
 * `npm run rotate-master-key`: re-wraps every credential's data key under a new master key
 * (PIPER_NEW_MASTER_KEY, or a random one). Stop every server and worker first and start them
 * with the new key afterwards. With a key file, the file is replaced; with PIPER_MASTER_KEY,
 * the new key is printed to be set in its place.
 */
const config = loadConfig();
const logger = createLogger(config);
const oldKey = await loadMasterKey(config.dataDir, config.masterKey);
const newKey = process.env.PIPER_NEW_MASTER_KEY ? decodeMasterKey(process.env.PIPER_NEW_MASTER_KEY, 'PIPER_NEW_MASTER_KEY') : randomBytes(32);
if (newKey.equals(oldKey)) throw new Error('The new master key is the current one');

const keyFile = config.masterKey ? undefined : path.join(config.dataDir, KEY_FILE);
const nextFile = keyFile && `${keyFile}.next`;
// The new key is on disk before the database uses it, so that a crash cannot lose it.
if (nextFile) await fs.writeFile(nextFile, encodeMasterKey(newKey) + '\n', { mode: 0o600 });

const database = await openDatabase(config, logger);
try {
  const { credentials } = await rotateMasterKey(database.db, oldKey, newKey);
  if (keyFile && nextFile) {
    await fs.rename(nextFile, keyFile);
    logger.info({ credentials, keyFile }, 'master key rotated; the key file holds the new key');
  } else {
    logger.info({ credentials }, 'master key rotated');
    process.stdout.write(`\nSet PIPER_MASTER_KEY=${encodeMasterKey(newKey)} on every server and worker, then start them.\n`);
  }
} catch (error) {
  if (nextFile) await fs.rm(nextFile, { force: true });
  throw error;
} finally {
  await database.close();
}
