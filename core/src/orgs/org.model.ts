import { Model } from 'objection';

export class Org extends Model {
  static override tableName = 'orgs';

  id!: string;
  slug!: string;
  name!: string;
  createdAt!: Date;

  toPublic() {
    return { id: this.id, slug: this.slug, name: this.name, createdAt: this.createdAt };
  }
}
