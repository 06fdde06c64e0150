import { type Kysely, sql } from 'kysely';
import type { TenantRepository } from '../../../apps/ports.js';
import type { Database } from '../schema.js';

/** Kept when an app goes: the security record outlives what it describes. */
const KEPT = new Set(['audit_events', 'apps']);

export class SqlTenantRepository implements TenantRepository {
  constructor(private readonly db: Kysely<Database>) {}

  /**
   * Deletes every row of the app from every table with an `app_id` column (found by
   * introspection, so tables added by later migrations are included), users first so
   * their dependants go by cascade, then the app itself; one transaction, all or nothing.
   */
  async removeApp(appId: string): Promise<boolean> {
    const tables = (await this.db.introspection.getTables())
      .filter((t) => !KEPT.has(t.name) && t.columns.some((c) => c.name === 'app_id'))
      .map((t) => (t.schema && t.schema !== 'public' ? `${t.schema}.${t.name}` : t.name))
      .sort((a, b) => (a === 'users' ? -1 : b === 'users' ? 1 : a < b ? -1 : a > b ? 1 : 0));
    return this.db.transaction().execute(async (trx) => {
      for (const table of tables) {
        await sql`delete from ${sql.table(table)} where app_id = ${appId}`.execute(trx);
      }
      const result = await trx.deleteFrom('apps').where('id', '=', appId).executeTakeFirst();
      return Number(result.numDeletedRows) === 1;
    });
  }
}
