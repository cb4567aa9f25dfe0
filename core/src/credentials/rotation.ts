import type { Database } from '../db/database.js';
import { masterKeyCheck, sameCheck } from '../config/master-key.js';
import { rewrap } from './envelope.js';

/**
 * Re-wraps every credential's data key under `newKey`, and records `newKey` as the instance's
 * master key, in one transaction: either every credential moves to the new key or none does.
 * The data itself is not re-encrypted (its data keys do not change).
 */
export async function rotateMasterKey(db: Database, oldKey: Buffer, newKey: Buffer): Promise<{ credentials: number }> {
  return db.transaction(async (trx) => {
    const check = await trx('instanceSettings').where({ key: 'masterKeyCheck' }).forUpdate().first();
    if (check && !sameCheck(String(check.value), masterKeyCheck(oldKey))) {
      throw new Error('The current master key does not match the one this database was set up with; nothing was changed');
    }
    const rows: Array<{ id: string; orgId: string; wrappedKey: Buffer }> = await trx('credentials').forUpdate().select('id', 'orgId', 'wrappedKey');
    for (const row of rows) {
      await trx('credentials').where({ id: row.id }).update({ wrappedKey: rewrap(oldKey, newKey, row, row.wrappedKey) });
    }
    await trx('instanceSettings')
      .insert({ key: 'masterKeyCheck', value: JSON.stringify(masterKeyCheck(newKey)) })
      .onConflict('key')
      .merge();
    return { credentials: rows.length };
  });
}
