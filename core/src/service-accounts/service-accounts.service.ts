import type { AuditService } from '../audit/audit.service.js';
import { SERVICE_TOKEN_PREFIX } from '../auth/auth.service.js';
import type { UserCaller } from '../auth/caller.js';
import { newSecretToken, sha256 } from '../auth/tokens.js';
import { values, type Database } from '../db/database.js';
import { invalid, notFound } from '../http/errors.js';

interface ServiceAccountRow {
  id: string;
  name: string;
  tokenPrefix: string;
  createdAt: Date;
  lastUsedAt: Date | null;
}

/** Service accounts ("runners") trigger runs through the API with a token that is shown once. */
export class ServiceAccountsService {
  constructor(
    private readonly db: Database,
    private readonly audit: AuditService,
  ) {}

  async list(caller: UserCaller) {
    const accounts: ServiceAccountRow[] = await this.db('serviceAccounts')
      .where({ orgId: caller.principal.orgId })
      .whereNull('revokedAt')
      .orderBy('name')
      .select('id', 'name', 'tokenPrefix', 'createdAt', 'lastUsedAt');
    const links = accounts.length
      ? await this.db('serviceAccountGroups').whereIn('serviceAccountId', accounts.map((a) => a.id)).select('serviceAccountId', 'groupId')
      : [];
    return accounts.map((account) => ({
      ...account,
      groupIds: links.filter((link) => link.serviceAccountId === account.id).map((link) => link.groupId),
    }));
  }

  async create(caller: UserCaller, input: { name: string; groupIds: string[] }) {
    const orgId = caller.principal.orgId;
    const groupIds = [...new Set(input.groupIds)];
    const token = newSecretToken(SERVICE_TOKEN_PREFIX);
    return this.db.transaction(async (trx) => {
      const found: string[] = groupIds.length ? await values(trx('groups').whereIn('id', groupIds).where({ orgId }), 'id') : [];
      const unknown = groupIds.filter((id) => !found.includes(id));
      if (unknown.length) throw invalid({ groupIds: unknown }, 'These ids are not groups of this org');
      const [account] = await trx('serviceAccounts')
        .insert({ orgId, name: input.name, tokenHash: sha256(token), tokenPrefix: token.slice(0, 10), createdBy: caller.principal.userId })
        .returning(['id', 'name', 'tokenPrefix', 'createdAt']);
      if (groupIds.length) await trx('serviceAccountGroups').insert(groupIds.map((groupId) => ({ orgId, serviceAccountId: account.id, groupId })));
      const presented = { ...account, groupIds };
      await this.audit.record(trx, caller, { orgId, action: 'service_account.created', entityType: 'service_account', entityId: account.id, after: presented });
      return { ...presented, token };
    });
  }

  async revoke(caller: UserCaller, id: string): Promise<void> {
    await this.db.transaction(async (trx) => {
      const [account] = await trx('serviceAccounts')
        .where({ id, orgId: caller.principal.orgId })
        .whereNull('revokedAt')
        .update({ revokedAt: trx.fn.now() })
        .returning(['id', 'name', 'tokenPrefix']);
      if (!account) throw notFound('Service account');
      await this.audit.record(trx, caller, { orgId: caller.principal.orgId, action: 'service_account.revoked', entityType: 'service_account', entityId: id, before: account });
    });
  }
}
