import { randomUUID } from 'node:crypto';
import type { Knex } from 'knex';
import type { AuditService } from '../audit/audit.service.js';
import type { UserCaller } from '../auth/caller.js';
import type { Database } from '../db/database.js';
import { Redactor, REDACTED } from '../engine/redactor.js';
import { forbidden, HttpError, invalid, notFound } from '../http/errors.js';
import type { NodeTypeRegistry, RegisteredCredentialType } from '../node-types/registry.js';
import { CredentialDecryptionError, open, seal, type SealedCredential } from './envelope.js';

/** What the API shows in place of a secret value; sent back unchanged, it keeps the stored one. */
export const MASK = REDACTED;
const TEST_TIMEOUT_MS = 15_000;

export interface CredentialRow extends SealedCredential {
  id: string;
  orgId: string;
  groupId: string | null;
  name: string;
  type: string;
  isDefault: boolean;
  createdAt: Date;
  updatedAt: Date;
}

export interface CredentialInput {
  name: string;
  type: string;
  data: Record<string, unknown>;
  groupId?: string | null;
  isDefault?: boolean;
}

export type CredentialChanges = Partial<Omit<CredentialInput, 'type'>>;

/** A decrypted credential and the values to redact wherever the run writes text. */
export interface ResolvedCredential {
  id: string;
  type: string;
  data: Record<string, unknown>;
  secrets: string[];
}

const sealedColumns = (sealed: SealedCredential) => ({ ciphertext: sealed.ciphertext, iv: sealed.iv, authTag: sealed.authTag, wrappedKey: sealed.wrappedKey });

/**
 * Credentials of an org, encrypted at rest (see envelope.ts). Admins manage all of them;
 * managers those of their groups, and may read (masked) and use the org-wide ones, which
 * belong to no group. Clients and service accounts never reach them.
 */
export class CredentialsService {
  constructor(
    private readonly db: Database,
    private readonly audit: AuditService,
    private readonly registry: NodeTypeRegistry,
    private readonly masterKey: Buffer,
  ) {}

  private visible(caller: UserCaller, db: Knex | Knex.Transaction = this.db) {
    const query = db('credentials').where('credentials.orgId', caller.principal.orgId);
    if (caller.principal.role !== 'admin') {
      query.where((q) => q.whereNull('groupId').orWhereIn('groupId', db('groupMembers').where({ userId: caller.principal.userId }).select('groupId')));
    }
    return query;
  }

  private decrypt(row: CredentialRow): Record<string, unknown> {
    return open(this.masterKey, row, row);
  }

  private credentialType(type: string): RegisteredCredentialType {
    const registered = this.registry.credentialType(type);
    if (!registered) throw invalid({ type: `unknown credential type "${type}"` }, 'Unknown credential type');
    return registered;
  }

  private present(row: CredentialRow) {
    const base = { id: row.id, name: row.name, type: row.type, groupId: row.groupId, isDefault: row.isDefault, createdAt: row.createdAt, updatedAt: row.updatedAt };
    let stored: Record<string, unknown>;
    try {
      stored = this.decrypt(row);
    } catch (error) {
      if (error instanceof CredentialDecryptionError) return { ...base, data: null, error: error.message };
      throw error;
    }
    const type = this.registry.credentialType(row.type);
    const secretFields = new Set(type?.definition.secretFields ?? []);
    const data: Record<string, unknown> = {};
    for (const [key, value] of Object.entries(stored)) {
      // Without its type (its plugin was removed), every field counts as secret.
      data[key] = (secretFields.has(key) || !type) && value !== null && value !== '' ? MASK : value;
    }
    return { ...base, data };
  }

  /** Audit snapshots carry names and the fields that changed, never values. */
  private snapshot(row: Pick<CredentialRow, 'name' | 'type' | 'groupId' | 'isDefault'>, fields?: string[]) {
    return { name: row.name, type: row.type, groupId: row.groupId, isDefault: row.isDefault, ...(fields ? { fields } : {}) };
  }

  private validate(type: RegisteredCredentialType, data: Record<string, unknown>) {
    const copy = structuredClone(data);
    if (!type.validate(copy)) {
      const details = (type.validate.errors ?? []).map((e) => ({ path: `data${e.instancePath}`, message: e.message }));
      throw invalid(details, `The data is not a valid ${type.definition.name} credential`);
    }
    return copy;
  }

  private async checkGroup(trx: Knex.Transaction, caller: UserCaller, groupId: string | null) {
    const { orgId, role, userId } = caller.principal;
    if (groupId === null) {
      if (role !== 'admin') throw invalid({ groupId: 'managers keep credentials in one of their groups' }, 'A group is required');
      return;
    }
    const group = await trx('groups').where({ id: groupId, orgId }).first();
    const member = role === 'admin' || (await trx('groupMembers').where({ groupId, userId }).first());
    if (!group || !member) throw invalid({ groupId: 'is not a group of yours' }, 'Unknown group');
  }

  /** Makes `row` the default of its type, taking the mark from the previous default. */
  private async clearOtherDefault(trx: Knex.Transaction, orgId: string, type: string, exceptId: string) {
    await trx('credentials').where({ orgId, type, isDefault: true }).whereNot('id', exceptId).update({ isDefault: false });
  }

  private nameTaken(error: unknown): boolean {
    return (error as { code?: string; constraint?: string }).code === '23505' && /name/.test((error as { constraint?: string }).constraint ?? '');
  }

  async list(caller: UserCaller, filter: { type?: string; groupId?: string }) {
    const query = this.visible(caller).orderBy('name');
    if (filter.type) query.where('type', filter.type);
    if (filter.groupId) query.where('groupId', filter.groupId);
    const rows: CredentialRow[] = await query;
    return rows.map((row) => this.present(row));
  }

  private async find(caller: UserCaller, id: string, trx?: Knex.Transaction): Promise<CredentialRow> {
    const query = this.visible(caller, trx).where('credentials.id', id).first();
    if (trx) query.forUpdate();
    const row: CredentialRow | undefined = await query;
    if (!row) throw notFound('Credential');
    return row;
  }

  /** Managers see org-wide credentials but change only their groups' ones. */
  private async findManageable(caller: UserCaller, id: string, trx: Knex.Transaction): Promise<CredentialRow> {
    const row = await this.find(caller, id, trx);
    if (caller.principal.role !== 'admin' && row.groupId === null) throw forbidden('Only an admin may change an org-wide credential');
    return row;
  }

  async get(caller: UserCaller, id: string) {
    return this.present(await this.find(caller, id));
  }

  async create(caller: UserCaller, input: CredentialInput) {
    const type = this.credentialType(input.type);
    const data = this.validate(type, input.data);
    const orgId = caller.principal.orgId;
    const id = randomUUID();
    const groupId = input.groupId ?? null;
    try {
      return await this.db.transaction(async (trx) => {
        await this.checkGroup(trx, caller, groupId);
        if (input.isDefault) await this.clearOtherDefault(trx, orgId, input.type, id);
        const [row]: CredentialRow[] = await trx('credentials')
          .insert({ id, orgId, groupId, name: input.name, type: input.type, isDefault: input.isDefault ?? false, createdBy: caller.principal.userId, ...sealedColumns(seal(this.masterKey, { orgId, id }, data)) })
          .returning('*');
        await this.audit.record(trx, caller, { orgId, action: 'credential.created', entityType: 'credential', entityId: id, after: this.snapshot(row!, Object.keys(data)) });
        return this.present(row!);
      });
    } catch (error) {
      if (this.nameTaken(error)) throw new HttpError(409, 'conflict', 'A credential with this name already exists', { name: input.name });
      throw error;
    }
  }

  async update(caller: UserCaller, id: string, changes: CredentialChanges) {
    try {
      return await this.db.transaction(async (trx) => {
        const row = await this.findManageable(caller, id, trx);
        const update: Record<string, unknown> = { updatedAt: trx.fn.now() };
        let changedFields: string[] | undefined;
        if (changes.name !== undefined) update.name = changes.name;
        if (changes.groupId !== undefined) {
          await this.checkGroup(trx, caller, changes.groupId);
          update.groupId = changes.groupId;
        }
        if (changes.isDefault !== undefined) {
          if (changes.isDefault) await this.clearOtherDefault(trx, row.orgId, row.type, id);
          update.isDefault = changes.isDefault;
        }
        if (changes.data !== undefined) {
          const type = this.credentialType(row.type);
          const stored = this.decrypt(row);
          const merged: Record<string, unknown> = { ...changes.data };
          // A secret sent back masked, or left out, keeps its stored value.
          for (const field of type.definition.secretFields) {
            if ((merged[field] === MASK || !(field in merged)) && field in stored) merged[field] = stored[field];
          }
          const data = this.validate(type, merged);
          changedFields = [...new Set([...Object.keys(stored), ...Object.keys(data)])].filter((key) => JSON.stringify(stored[key]) !== JSON.stringify(data[key]));
          Object.assign(update, sealedColumns(seal(this.masterKey, row, data)));
        }
        const [updated]: CredentialRow[] = await trx('credentials').where({ id }).update(update).returning('*');
        await this.audit.record(trx, caller, {
          orgId: row.orgId,
          action: 'credential.updated',
          entityType: 'credential',
          entityId: id,
          before: this.snapshot(row),
          after: this.snapshot(updated!, changedFields),
        });
        return this.present(updated!);
      });
    } catch (error) {
      if (this.nameTaken(error)) throw new HttpError(409, 'conflict', 'A credential with this name already exists', { name: changes.name });
      throw error;
    }
  }

  async remove(caller: UserCaller, id: string): Promise<void> {
    await this.db.transaction(async (trx) => {
      const row = await this.findManageable(caller, id, trx);
      await trx('credentials').where({ id }).delete();
      await this.audit.record(trx, caller, { orgId: row.orgId, action: 'credential.deleted', entityType: 'credential', entityId: id, before: this.snapshot(row) });
    });
  }

  /** Runs the type's own check (a login, a `SELECT 1`...) with the stored data. */
  async test(caller: UserCaller, id: string): Promise<{ ok: boolean; message: string }> {
    const row = await this.find(caller, id);
    const type = this.credentialType(row.type);
    const data = this.decrypt(row);
    let result: { ok: boolean; message: string };
    if (!type.definition.test) {
      result = { ok: true, message: `${type.definition.name} credentials have no test; the data matches the type's schema` };
    } else {
      const signal = AbortSignal.timeout(TEST_TIMEOUT_MS);
      try {
        const outcome = await type.definition.test(data, { signal });
        result = { ok: outcome.ok === true, message: String(outcome.message ?? '') };
      } catch (error) {
        result = { ok: false, message: signal.aborted ? `The test did not finish within ${TEST_TIMEOUT_MS / 1000} s` : ((error as Error).message ?? String(error)) };
      }
    }
    const redactor = new Redactor();
    redactor.add(secretValues(type, data));
    result.message = redactor.text(result.message);
    await this.audit.record(this.db, caller, { orgId: row.orgId, action: 'credential.tested', entityType: 'credential', entityId: id, after: { ok: result.ok } });
    return result;
  }

  /**
   * The credential a node of a run receives: the node's own, else its org's default of the
   * wanted type. Only credentials of the pipeline's group or org-wide ones may be used.
   */
  async resolve(request: { orgId: string; pipelineId: string; credentialId: string | null | undefined; wanted?: { type: string; required?: boolean } }): Promise<ResolvedCredential | undefined> {
    const { orgId, pipelineId, credentialId, wanted } = request;
    if (!credentialId && !wanted) return undefined;
    const pipelineGroup = this.db('pipelines').where({ id: pipelineId, orgId }).select('groupId');
    const query = this.db('credentials')
      .where({ orgId })
      .where((q) => q.whereNull('groupId').orWhere('groupId', pipelineGroup))
      .first();
    if (credentialId) query.where({ id: credentialId });
    else query.where({ type: wanted!.type, isDefault: true });
    const row: CredentialRow | undefined = await query;
    if (!row) {
      if (credentialId) throw new CredentialUnavailable('The node names a credential that does not exist or that this pipeline may not use', 'credential_not_found');
      if (wanted?.required) throw new CredentialUnavailable(`The node needs a ${wanted.type} credential and the org has no default one`, 'credential_required');
      return undefined;
    }
    if (wanted && wanted.type !== '*' && row.type !== wanted.type) {
      throw new CredentialUnavailable(`The node needs a ${wanted.type} credential, not ${row.type}`, 'credential_type_mismatch');
    }
    const data = this.decrypt(row);
    const type = this.registry.credentialType(row.type);
    return { id: row.id, type: row.type, data, secrets: type ? secretValues(type, data) : strings(data) };
  }

  /** Credentials a pipeline of `groupId` may use, and the org's defaults by type, for graph validation. */
  async usable(orgId: string, groupId: string | null) {
    const query = this.db('credentials').where({ orgId }).select('id', 'type', 'isDefault');
    query.where((q) => (groupId ? q.whereNull('groupId').orWhere('groupId', groupId) : q.whereNull('groupId')));
    const rows: Array<{ id: string; type: string; isDefault: boolean }> = await query;
    return {
      credentials: new Map(rows.map((row) => [row.id, { type: row.type }])),
      defaults: new Set(rows.filter((row) => row.isDefault).map((row) => row.type)),
    };
  }
}

export class CredentialUnavailable extends Error {
  constructor(
    message: string,
    readonly code: string,
  ) {
    super(message);
  }
}

/** The secret values of a credential (the strings in its secret fields), as they could appear in text. */
export function secretValues(type: RegisteredCredentialType, data: Record<string, unknown>): string[] {
  return type.definition.secretFields.flatMap((field) => strings(data[field]));
}

function strings(value: unknown): string[] {
  if (typeof value === 'string') return value ? [value] : [];
  if (value && typeof value === 'object') return Object.values(value).flatMap(strings);
  return [];
}
