import type { AuditService } from '../audit/audit.service.js';
import { checkPasswordStrength } from '../auth/auth.service.js';
import type { UserCaller } from '../auth/caller.js';
import { hashPassword } from '../auth/passwords.js';
import type { Database } from '../db/database.js';
import { conflict } from '../http/errors.js';
import { User } from '../users/user.model.js';
import { Org } from './org.model.js';

export interface NewOrg {
  slug: string;
  name: string;
  admin: { email: string; name: string; password: string };
}

/** Orgs are the tenants; only instance admins list and create them. */
export class OrgsService {
  constructor(
    private readonly db: Database,
    private readonly audit: AuditService,
  ) {}

  async list() {
    return (await Org.query(this.db).orderBy('slug')).map((org) => org.toPublic());
  }

  async create(caller: UserCaller, input: NewOrg) {
    checkPasswordStrength(input.admin.password, 'admin.password');
    const passwordHash = await hashPassword(input.admin.password);
    return this.db.transaction(async (trx) => {
      if (await Org.query(trx).findOne({ slug: input.slug })) throw conflict('An org with this slug already exists', { slug: input.slug });
      if (await User.query(trx).whereRaw('lower(email) = lower(?)', [input.admin.email]).whereNull('deletedAt').first()) {
        throw conflict('A user with this email already exists', { email: input.admin.email });
      }
      const org = await Org.query(trx).insertAndFetch({ slug: input.slug, name: input.name });
      const admin = await User.query(trx).insertAndFetch({
        orgId: org.id,
        email: input.admin.email,
        name: input.admin.name,
        role: 'admin',
        passwordHash,
      });
      await trx('groups').insert({ orgId: org.id, name: 'default' });
      await this.audit.record(trx, caller, { orgId: org.id, action: 'org.created', entityType: 'org', entityId: org.id, after: { ...org.toPublic(), adminId: admin.id } });
      return { ...org.toPublic(), admin: admin.toPublic() };
    });
  }
}
