import type { Knex } from 'knex';
import type { Role } from '../auth/caller.js';
import { hashPassword } from '../auth/passwords.js';
import type { Database } from '../db/database.js';

export const DEMO_PASSWORD = 'piper-demo-1';

interface DemoUser {
  email: string;
  name: string;
  role: Role;
  instanceAdmin?: boolean;
}

const DEMO_ORGS: Array<{ slug: string; name: string; users: DemoUser[]; assignments: Array<[string, string]> }> = [
  {
    slug: 'acme',
    name: 'Acme',
    users: [
      { email: 'admin@acme.test', name: 'Acme Admin', role: 'admin', instanceAdmin: true },
      { email: 'manager@acme.test', name: 'Acme Manager', role: 'manager' },
      { email: 'client@acme.test', name: 'Acme Client', role: 'client' },
      { email: 'client2@acme.test', name: 'Acme Client 2', role: 'client' },
    ],
    assignments: [['manager@acme.test', 'client@acme.test']],
  },
  {
    slug: 'beta',
    name: 'Beta',
    users: [
      { email: 'admin@beta.test', name: 'Beta Admin', role: 'admin' },
      { email: 'manager@beta.test', name: 'Beta Manager', role: 'manager' },
      { email: 'client@beta.test', name: 'Beta Client', role: 'client' },
    ],
    assignments: [],
  },
];

/** The demo data of API.md: orgs acme and beta, their users, the assignment, a `default` group holding each manager. */
export async function seedDemo(db: Database | Knex.Transaction): Promise<void> {
  const passwordHash = await hashPassword(DEMO_PASSWORD);
  await db.transaction(async (trx) => {
    for (const demo of DEMO_ORGS) {
      const [org] = await trx('orgs').insert({ slug: demo.slug, name: demo.name }).returning('id');
      const ids = new Map<string, string>();
      for (const user of demo.users) {
        const [row] = await trx('users')
          .insert({ orgId: org.id, email: user.email, name: user.name, role: user.role, instanceAdmin: user.instanceAdmin ?? false, passwordHash })
          .returning('id');
        ids.set(user.email, row.id);
      }
      for (const [manager, client] of demo.assignments) {
        await trx('managerClients').insert({ orgId: org.id, managerId: ids.get(manager), clientId: ids.get(client) });
      }
      const [group] = await trx('groups').insert({ orgId: org.id, name: 'default' }).returning('id');
      const managers = demo.users.filter((user) => user.role === 'manager');
      await trx('groupMembers').insert(managers.map((user) => ({ orgId: org.id, groupId: group.id, userId: ids.get(user.email) })));
      await recordSeed(trx, org.id);
    }
  });
}

async function recordSeed(trx: Knex.Transaction, orgId: string) {
  await trx('auditEvents').insert({ orgId, actorType: 'system', action: 'org.seeded', entityType: 'org', entityId: orgId });
}

export async function isEmpty(db: Database): Promise<boolean> {
  const row = await db('orgs').count<{ count: number }[]>('* as count').first();
  return Number(row?.count) === 0;
}

/**
 * Deletes every tenant's data, and so every session, then seeds the demo again, in one transaction.
 * Installed plugins are instance-wide and stay.
 */
export async function resetToDemo(db: Database): Promise<void> {
  await db.transaction(async (trx) => {
    await trx('orgs').delete(); // every tenant-owned row cascades from its org
    for (const table of ['auditEvents', 'rateLimits', 'outboxEmails', 'passwordResetTokens']) await trx(table).delete();
    await seedDemo(trx);
  });
}
