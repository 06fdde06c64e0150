import type { Kysely } from 'kysely';
import type { Integration, IntegrationRepository } from '../../../identity/integrations.js';
import type { Database, UserIntegrationsTable } from '../schema.js';

const toIntegration = (r: UserIntegrationsTable): Integration => ({
  id: r.id,
  appId: r.app_id,
  userId: r.user_id,
  name: r.name,
  createdAt: r.created_at,
});

export class SqlIntegrationRepository implements IntegrationRepository {
  constructor(private readonly db: Kysely<Database>) {}

  async list(appId: string, userId: string): Promise<Integration[]> {
    const rows = await this.db
      .selectFrom('user_integrations')
      .selectAll()
      .where('app_id', '=', appId)
      .where('user_id', '=', userId)
      .orderBy('created_at')
      .orderBy('name')
      .execute();
    return rows.map(toIntegration);
  }

  async find(appId: string, userId: string, name: string): Promise<Integration | null> {
    const row = await this.db
      .selectFrom('user_integrations')
      .selectAll()
      .where('app_id', '=', appId)
      .where('user_id', '=', userId)
      .where('name', '=', name)
      .executeTakeFirst();
    return row ? toIntegration(row) : null;
  }

  async add(integration: Integration): Promise<boolean> {
    // The unique (user_id, name) index decides between concurrent enables; the loser inserts nothing.
    const result = await this.db
      .insertInto('user_integrations')
      .values({
        id: integration.id,
        app_id: integration.appId,
        user_id: integration.userId,
        name: integration.name,
        created_at: integration.createdAt,
      })
      .onConflict((oc) => oc.columns(['user_id', 'name']).doNothing())
      .executeTakeFirst();
    return Number(result.numInsertedOrUpdatedRows ?? 0n) > 0;
  }

  async remove(appId: string, userId: string, name: string): Promise<boolean> {
    const result = await this.db
      .deleteFrom('user_integrations')
      .where('app_id', '=', appId)
      .where('user_id', '=', userId)
      .where('name', '=', name)
      .executeTakeFirst();
    return Number(result.numDeletedRows) > 0;
  }
}
