import type { AuditService } from '../audit/audit.service.js';
import type { UserCaller } from '../auth/caller.js';
import { values, type Database } from '../db/database.js';
import { conflict, invalid, notFound } from '../http/errors.js';

export interface GroupInput {
  name: string;
  description?: string | null;
}

interface GroupRow {
  id: string;
  orgId: string;
  name: string;
  description: string | null;
  createdAt: Date;
}

export class GroupsService {
  constructor(
    private readonly db: Database,
    private readonly audit: AuditService,
  ) {}

  /** Admins see every group of the org, managers the groups they belong to. */
  async list(caller: UserCaller) {
    const query = this.db('groups').where({ orgId: caller.principal.orgId }).orderBy('name');
    if (caller.principal.role !== 'admin') {
      query.whereIn('id', this.db('groupMembers').where({ userId: caller.principal.userId }).select('groupId'));
    }
    const groups: GroupRow[] = await query;
    const members = groups.length
      ? await this.db('groupMembers').whereIn('groupId', groups.map((group) => group.id)).select('groupId', 'userId')
      : [];
    return groups.map((group) => this.present(group, members.filter((m) => m.groupId === group.id).map((m) => m.userId)));
  }

  private present(group: GroupRow, memberIds: string[]) {
    return { id: group.id, name: group.name, description: group.description, memberIds, createdAt: group.createdAt };
  }

  private async lockOwn(trx: Database, caller: UserCaller, id: string): Promise<GroupRow> {
    const group = await trx('groups').where({ id, orgId: caller.principal.orgId }).forUpdate().first();
    if (!group) throw notFound('Group');
    return group;
  }

  async create(caller: UserCaller, input: GroupInput) {
    return this.db.transaction(async (trx) => {
      await this.ensureNameFree(trx, caller.principal.orgId, input.name);
      const [group] = await trx('groups').insert({ orgId: caller.principal.orgId, name: input.name, description: input.description ?? null }).returning('*');
      const presented = this.present(group, []);
      await this.audit.record(trx, caller, { orgId: caller.principal.orgId, action: 'group.created', entityType: 'group', entityId: group.id, after: presented });
      return presented;
    });
  }

  private async ensureNameFree(trx: Database, orgId: string, name: string, exceptId?: string) {
    const query = trx('groups').where({ orgId, name });
    if (exceptId) query.whereNot('id', exceptId);
    if (await query.first()) throw conflict('A group with this name already exists', { name });
  }

  async update(caller: UserCaller, id: string, changes: Partial<GroupInput>) {
    return this.db.transaction(async (trx) => {
      const group = await this.lockOwn(trx, caller, id);
      if (changes.name !== undefined) await this.ensureNameFree(trx, group.orgId, changes.name, id);
      const [updated] = await trx('groups').where({ id }).update(changes).returning('*');
      const memberIds = await values(trx('groupMembers').where({ groupId: id }), 'userId');
      await this.audit.record(trx, caller, {
        orgId: group.orgId,
        action: 'group.updated',
        entityType: 'group',
        entityId: id,
        before: this.present(group, memberIds),
        after: this.present(updated, memberIds),
      });
      return this.present(updated, memberIds);
    });
  }

  async remove(caller: UserCaller, id: string): Promise<void> {
    await this.db.transaction(async (trx) => {
      const group = await this.lockOwn(trx, caller, id);
      const pipelines = await trx('pipelines').where({ groupId: id }).whereNull('deletedAt').count<{ count: number }[]>('* as count');
      if (Number(pipelines[0]?.count) > 0) throw conflict('The group still holds pipelines; move or delete them first');
      await trx('groups').where({ id }).delete();
      await this.audit.record(trx, caller, { orgId: group.orgId, action: 'group.deleted', entityType: 'group', entityId: id, before: this.present(group, []) });
    });
  }

  async setMembers(caller: UserCaller, id: string, userIds: string[]) {
    const unique = [...new Set(userIds)];
    return this.db.transaction(async (trx) => {
      const group = await this.lockOwn(trx, caller, id);
      const found: string[] = unique.length
        ? await values(trx('users').whereIn('id', unique).where({ orgId: group.orgId }).whereNull('deletedAt'), 'id')
        : [];
      const unknown = unique.filter((userId) => !found.includes(userId));
      if (unknown.length) throw invalid({ userIds: unknown }, 'These ids are not users of this org');
      const before = await values(trx('groupMembers').where({ groupId: id }), 'userId');
      await trx('groupMembers').where({ groupId: id }).delete();
      if (unique.length) await trx('groupMembers').insert(unique.map((userId) => ({ orgId: group.orgId, groupId: id, userId })));
      await this.audit.record(trx, caller, {
        orgId: group.orgId,
        action: 'group.members_set',
        entityType: 'group',
        entityId: id,
        before: { memberIds: before },
        after: { memberIds: unique },
      });
      return this.present(group, unique);
    });
  }
}
