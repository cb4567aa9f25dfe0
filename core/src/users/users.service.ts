import type { AuditService } from '../audit/audit.service.js';
import { checkPasswordStrength } from '../auth/auth.service.js';
import type { Role, UserCaller } from '../auth/caller.js';
import { hashPassword } from '../auth/passwords.js';
import { revokeSessions } from '../auth/sessions.js';
import { values, type Database } from '../db/database.js';
import { conflict, forbidden, invalid, notFound } from '../http/errors.js';
import { ManagerClient } from './manager-client.model.js';
import { User } from './user.model.js';

export interface NewUser {
  email: string;
  name: string;
  password: string;
  role: Role;
}

export interface UserChanges {
  name?: string;
  role?: Role;
  disabled?: boolean;
}

export class UsersService {
  constructor(
    private readonly db: Database,
    private readonly audit: AuditService,
  ) {}

  private inOrg(caller: UserCaller) {
    return User.query(this.db).where('users.orgId', caller.principal.orgId).whereNull('users.deletedAt');
  }

  /** Admins see their org; managers their assigned clients; clients nobody (refused at the route). */
  async list(caller: UserCaller) {
    const query = this.inOrg(caller).orderBy('email');
    if (caller.principal.role === 'manager') query.whereIn('users.id', this.assignedClientIds(caller.principal.userId));
    else if (caller.principal.role !== 'admin') throw forbidden();
    return (await query).map((user) => user.toPublic());
  }

  private assignedClientIds(managerId: string) {
    return ManagerClient.query(this.db).where({ managerId }).select('clientId');
  }

  /** A user the caller may see: admins any in the org, others themselves, managers also their clients. */
  async findVisible(caller: UserCaller, id: string): Promise<User> {
    const { role, userId } = caller.principal;
    const query = this.inOrg(caller).findById(id);
    if (role === 'manager') query.where((w) => w.where('users.id', userId).orWhereIn('users.id', this.assignedClientIds(userId)));
    else if (role !== 'admin') query.where('users.id', userId);
    const user = await query;
    if (!user) throw notFound('User');
    return user;
  }

  async get(caller: UserCaller, id: string) {
    return (await this.findVisible(caller, id)).toPublic();
  }

  async create(caller: UserCaller, input: NewUser) {
    checkPasswordStrength(input.password, 'password');
    const email = input.email.trim();
    const passwordHash = await hashPassword(input.password);
    return this.db.transaction(async (trx) => {
      const taken = await User.query(trx).whereRaw('lower(email) = lower(?)', [email]).whereNull('deletedAt').first();
      if (taken) throw conflict('A user with this email already exists', { email });
      const user = await User.query(trx).insertAndFetch({
        orgId: caller.principal.orgId,
        email,
        name: input.name,
        role: input.role,
        passwordHash,
      });
      await this.audit.record(trx, caller, { orgId: user.orgId, action: 'user.created', entityType: 'user', entityId: user.id, after: user.toPublic() });
      return user.toPublic();
    });
  }

  async update(caller: UserCaller, id: string, changes: UserChanges) {
    return this.db.transaction(async (trx) => {
      const user = await User.query(trx).findById(id).where('orgId', caller.principal.orgId).whereNull('deletedAt').forUpdate();
      if (!user) throw notFound('User');
      if (id === caller.principal.userId && (changes.disabled === true || (changes.role && changes.role !== 'admin'))) {
        throw conflict('You cannot disable yourself or give up your own admin role');
      }
      const updated = await User.query(trx).patchAndFetchById(id, { ...changes, updatedAt: new Date() });
      if (changes.role && changes.role !== user.role) {
        if (user.role === 'manager') await trx('managerClients').where({ managerId: id }).delete();
        if (user.role === 'client') await trx('managerClients').where({ clientId: id }).delete();
      }
      if (changes.disabled === true || (changes.role && changes.role !== user.role)) await revokeSessions(trx, id);
      await this.audit.record(trx, caller, {
        orgId: user.orgId,
        action: 'user.updated',
        entityType: 'user',
        entityId: id,
        before: user.toPublic(),
        after: updated.toPublic(),
      });
      return updated.toPublic();
    });
  }

  async remove(caller: UserCaller, id: string): Promise<void> {
    if (id === caller.principal.userId) throw conflict('You cannot delete yourself');
    await this.db.transaction(async (trx) => {
      const user = await User.query(trx).findById(id).where('orgId', caller.principal.orgId).whereNull('deletedAt').forUpdate();
      if (!user) throw notFound('User');
      await User.query(trx).patchAndFetchById(id, { deletedAt: new Date(), disabled: true });
      await trx('managerClients').where({ managerId: id }).orWhere({ clientId: id }).delete();
      await trx('groupMembers').where({ userId: id }).delete();
      await revokeSessions(trx, id);
      await this.audit.record(trx, caller, { orgId: user.orgId, action: 'user.deleted', entityType: 'user', entityId: id, before: user.toPublic() });
    });
  }

  async listClients(caller: UserCaller, managerId: string) {
    const manager = await this.findVisible(caller, managerId);
    if (caller.principal.role !== 'admin' && manager.id !== caller.principal.userId) throw notFound('User');
    const clients = await this.inOrg(caller).whereIn('users.id', this.assignedClientIds(manager.id)).orderBy('email');
    return clients.map((client) => client.toPublic());
  }

  async setClients(caller: UserCaller, managerId: string, clientIds: string[]) {
    const unique = [...new Set(clientIds)];
    return this.db.transaction(async (trx) => {
      const manager = await User.query(trx).findById(managerId).where('orgId', caller.principal.orgId).whereNull('deletedAt');
      if (!manager) throw notFound('User');
      if (manager.role !== 'manager') throw invalid({ id: 'is not a manager' }, 'Clients can only be assigned to managers');
      const clients = unique.length
        ? await User.query(trx).whereIn('id', unique).where({ orgId: caller.principal.orgId, role: 'client' }).whereNull('deletedAt')
        : [];
      const invalidIds = unique.filter((id) => !clients.some((client) => client.id === id));
      if (invalidIds.length) throw invalid({ clientIds: invalidIds }, 'These ids are not clients of this org');
      const before = await values(trx('managerClients').where({ managerId }), 'clientId');
      await trx('managerClients').where({ managerId }).delete();
      if (unique.length) {
        await trx('managerClients').insert(unique.map((clientId) => ({ orgId: caller.principal.orgId, managerId, clientId })));
      }
      await this.audit.record(trx, caller, {
        orgId: caller.principal.orgId,
        action: 'user.clients_assigned',
        entityType: 'user',
        entityId: managerId,
        before: { clientIds: before },
        after: { clientIds: unique },
      });
      return clients.map((client) => client.toPublic());
    });
  }
}
