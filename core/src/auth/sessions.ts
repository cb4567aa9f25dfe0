import type { Knex } from 'knex';

/** Ends a user's sessions, all of them or all but the one still in use. */
export async function revokeSessions(trx: Knex | Knex.Transaction, userId: string, exceptSessionId?: string): Promise<number> {
  const query = trx('sessions').where({ userId }).whereNull('revokedAt');
  if (exceptSessionId) query.whereNot('id', exceptSessionId);
  return query.update({ revokedAt: trx.fn.now() });
}
