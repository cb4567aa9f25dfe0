import type { AuditService } from '../audit/audit.service.js';
import type { UserCaller } from '../auth/caller.js';
import type { Database } from '../db/database.js';
import type { SandboxSettings } from '../pipelines/graph.js';

export interface ScriptLimits {
  timeoutMs: number;
  memoryMb: number;
  cpus: number;
  pids: number;
}

export interface OrgSettings {
  /** Default isolate limits of the org's transforms and expressions; a node's settings override them. */
  sandbox: Required<SandboxSettings>;
  /** Default limits of the org's script containers; a script node's timeoutMs and memoryMb args override them. */
  scripts: ScriptLimits;
}

export const SCRIPT_DEFAULTS: ScriptLimits = { timeoutMs: 300_000, memoryMb: 256, cpus: 1, pids: 256 };

export const scriptLimitsSchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    timeoutMs: { type: 'integer', minimum: 100, maximum: 3_600_000 },
    memoryMb: { type: 'integer', minimum: 32, maximum: 8192 },
    cpus: { type: 'number', minimum: 0.1, maximum: 16 },
    pids: { type: 'integer', minimum: 16, maximum: 4096 },
  },
} as const;

type StoredSettings = { sandbox?: SandboxSettings; scripts?: Partial<ScriptLimits> };

/** An org's settings: what it stored over the instance's defaults. */
export class SettingsService {
  constructor(
    private readonly db: Database,
    private readonly audit: AuditService,
    private readonly defaults: OrgSettings,
  ) {}

  async forOrg(orgId: string): Promise<OrgSettings> {
    const row = await this.db('orgSettings').where({ orgId }).first('data');
    return this.over((row?.data ?? {}) as StoredSettings);
  }

  private over(stored: StoredSettings): OrgSettings {
    return { sandbox: { ...this.defaults.sandbox, ...stored.sandbox }, scripts: { ...this.defaults.scripts, ...stored.scripts } };
  }

  get(caller: UserCaller): Promise<OrgSettings> {
    return this.forOrg(caller.principal.orgId);
  }

  async update(caller: UserCaller, changes: StoredSettings): Promise<OrgSettings> {
    const orgId = caller.principal.orgId;
    return this.db.transaction(async (trx) => {
      const row = await trx('orgSettings').where({ orgId }).forUpdate().first('data');
      const before = (row?.data ?? {}) as StoredSettings;
      const after: StoredSettings = {
        ...before,
        ...(changes.sandbox ? { sandbox: { ...before.sandbox, ...changes.sandbox } } : {}),
        ...(changes.scripts ? { scripts: { ...before.scripts, ...changes.scripts } } : {}),
      };
      await trx('orgSettings')
        .insert({ orgId, data: JSON.stringify(after), updatedAt: trx.fn.now() })
        .onConflict('orgId')
        .merge();
      await this.audit.record(trx, caller, { orgId, action: 'settings.updated', entityType: 'org_settings', entityId: orgId, before, after });
      return this.over(after);
    });
  }
}
