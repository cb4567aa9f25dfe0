import type { AuditService } from '../audit/audit.service.js';
import type { UserCaller } from '../auth/caller.js';
import type { Database } from '../db/database.js';
import type { SandboxSettings } from '../pipelines/graph.js';

export interface OrgSettings {
  /** Default isolate limits of the org's transforms and expressions; a node's settings override them. */
  sandbox: Required<SandboxSettings>;
}

/** An org's settings: what it stored over the instance's defaults. */
export class SettingsService {
  constructor(
    private readonly db: Database,
    private readonly audit: AuditService,
    private readonly defaults: OrgSettings,
  ) {}

  async forOrg(orgId: string): Promise<OrgSettings> {
    const row = await this.db('orgSettings').where({ orgId }).first('data');
    const stored = (row?.data ?? {}) as Partial<OrgSettings>;
    return { sandbox: { ...this.defaults.sandbox, ...stored.sandbox } };
  }

  get(caller: UserCaller): Promise<OrgSettings> {
    return this.forOrg(caller.principal.orgId);
  }

  async update(caller: UserCaller, changes: { sandbox?: SandboxSettings }): Promise<OrgSettings> {
    const orgId = caller.principal.orgId;
    return this.db.transaction(async (trx) => {
      const row = await trx('orgSettings').where({ orgId }).forUpdate().first('data');
      const before = (row?.data ?? {}) as Partial<OrgSettings>;
      const after = { ...before, ...(changes.sandbox ? { sandbox: { ...before.sandbox, ...changes.sandbox } } : {}) };
      await trx('orgSettings')
        .insert({ orgId, data: JSON.stringify(after), updatedAt: trx.fn.now() })
        .onConflict('orgId')
        .merge();
      await this.audit.record(trx, caller, { orgId, action: 'settings.updated', entityType: 'org_settings', entityId: orgId, before, after });
      return { sandbox: { ...this.defaults.sandbox, ...after.sandbox } };
    });
  }
}
