import { Model } from 'objection';
import type { Role } from '../auth/caller.js';

export class User extends Model {
  static override tableName = 'users';

  id!: string;
  orgId!: string;
  email!: string;
  name!: string;
  role!: Role;
  instanceAdmin!: boolean;
  passwordHash!: string;
  disabled!: boolean;
  createdAt!: Date;
  updatedAt!: Date;
  deletedAt!: Date | null;

  /** What the API shows of a user: never the password hash. */
  toPublic() {
    return {
      id: this.id,
      email: this.email,
      name: this.name,
      role: this.role,
      orgId: this.orgId,
      instanceAdmin: this.instanceAdmin,
      disabled: this.disabled,
      createdAt: this.createdAt,
    };
  }
}

export type PublicUser = ReturnType<User['toPublic']>;
