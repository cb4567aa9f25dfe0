import { Model } from 'objection';

/** A manager's assignment to a client of the same org. */
export class ManagerClient extends Model {
  static override tableName = 'manager_clients';
  static override idColumn = ['managerId', 'clientId'];

  orgId!: string;
  managerId!: string;
  clientId!: string;
}
