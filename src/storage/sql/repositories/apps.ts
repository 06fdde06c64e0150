import type { Kysely } from 'kysely';
import type { AppRepository } from '../../../identity/ports.js';
import type { App } from '../../../identity/types.js';
import type { AppsTable, Database } from '../schema.js';

const binaryCompare = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

const toApp = (r: AppsTable): App => ({ id: r.id, owner: r.owner, name: r.name, createdAt: r.created_at });

export class SqlAppRepository implements AppRepository {
  constructor(private readonly db: Kysely<Database>) {}

  async findByName(owner: string, name: string): Promise<App | null> {
    const row = await this.db
      .selectFrom('apps')
      .selectAll()
      .where('owner', '=', owner)
      .where('name', '=', name)
      .executeTakeFirst();
    return row ? toApp(row) : null;
  }

  async findById(id: string): Promise<App | null> {
    const row = await this.db.selectFrom('apps').selectAll().where('id', '=', id).executeTakeFirst();
    return row ? toApp(row) : null;
  }

  async create(app: App): Promise<void> {
    await this.db
      .insertInto('apps')
      .values({ id: app.id, owner: app.owner, name: app.name, created_at: app.createdAt })
      .execute();
  }

  async list(): Promise<App[]> {
    // Sorted here rather than by ORDER BY: PostgreSQL orders text by the database's collation
    // (en_US puts 'a' before 'B', C does not), SQLite by bytes. One order on every store.
    const rows = await this.db.selectFrom('apps').selectAll().execute();
    return rows.map(toApp).sort((a, b) => binaryCompare(a.owner, b.owner) || binaryCompare(a.name, b.name));
  }
}
