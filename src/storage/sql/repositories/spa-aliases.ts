import type { Kysely, Selectable } from 'kysely';
import type { AliasRepository } from '../../../spa/ports.js';
import type { Alias, AliasQuery } from '../../../spa/types.js';
import { isUniqueViolation } from '../database.js';
import type { Database, SpaAliasesTable } from '../schema.js';

function toAlias(row: Selectable<SpaAliasesTable>): Alias {
  return {
    id: row.id,
    appId: row.app_id,
    userId: row.user_id,
    surveyId: row.survey_id,
    userName: row.user_name,
    createdAt: row.created_at,
  };
}

export class SqlAliasRepository implements AliasRepository {
  constructor(private readonly db: Kysely<Database>) {}

  async create(alias: Alias, userNameKey: string): Promise<boolean> {
    try {
      await this.db
        .insertInto('spa_aliases')
        .values({
          id: alias.id,
          app_id: alias.appId,
          user_id: alias.userId,
          survey_id: alias.surveyId,
          user_name: alias.userName,
          user_name_key: userNameKey,
          created_at: alias.createdAt,
        })
        .execute();
      return true;
    } catch (err) {
      if (isUniqueViolation(err)) return false;
      throw err;
    }
  }

  async find(appId: string, surveyId: string, userNameKey: string): Promise<Alias | null> {
    const row = await this.db
      .selectFrom('spa_aliases')
      .selectAll()
      .where('app_id', '=', appId)
      .where('survey_id', '=', surveyId)
      .where('user_name_key', '=', userNameKey)
      .executeTakeFirst();
    return row ? toAlias(row) : null;
  }

  async findById(appId: string, id: string): Promise<Alias | null> {
    const row = await this.db
      .selectFrom('spa_aliases')
      .selectAll()
      .where('app_id', '=', appId)
      .where('id', '=', id)
      .executeTakeFirst();
    return row ? toAlias(row) : null;
  }

  async list(appId: string, query: AliasQuery): Promise<Alias[]> {
    let q = this.db.selectFrom('spa_aliases').selectAll().where('app_id', '=', appId);
    if (query.userId !== undefined) q = q.where('user_id', '=', query.userId);
    if (query.surveyId !== undefined) q = q.where('survey_id', '=', query.surveyId);
    if (query.afterId !== undefined) q = q.where('id', '>', query.afterId);
    const rows = await q.orderBy('id').limit(query.limit).execute();
    return rows.map(toAlias);
  }

  async remove(appId: string, id: string): Promise<boolean> {
    const result = await this.db
      .deleteFrom('spa_aliases')
      .where('app_id', '=', appId)
      .where('id', '=', id)
      .executeTakeFirst();
    return Number(result.numDeletedRows) > 0;
  }
}
