import type { Kysely, Selectable } from 'kysely';
import type { LoginLinkRepository } from '../../../spa/ports.js';
import type { LoginLink, LoginLinkQuery } from '../../../spa/types.js';
import type { Database, SpaLoginLinksTable } from '../schema.js';

function toLink(row: Selectable<SpaLoginLinksTable>): LoginLink {
  return {
    id: row.id,
    appId: row.app_id,
    userId: row.user_id,
    surveyId: row.survey_id,
    createdAt: row.created_at,
    expiresAt: row.expires_at,
    revokedAt: row.revoked_at,
    lastUsedAt: row.last_used_at,
  };
}

export class SqlLoginLinkRepository implements LoginLinkRepository {
  constructor(private readonly db: Kysely<Database>) {}

  async create(link: LoginLink, tokenHash: string): Promise<void> {
    await this.db
      .insertInto('spa_login_links')
      .values({
        id: link.id,
        app_id: link.appId,
        user_id: link.userId,
        survey_id: link.surveyId,
        token_hash: tokenHash,
        created_at: link.createdAt,
        expires_at: link.expiresAt,
        revoked_at: link.revokedAt,
        last_used_at: link.lastUsedAt,
      })
      .execute();
  }

  async findByTokenHash(tokenHash: string): Promise<LoginLink | null> {
    const row = await this.db
      .selectFrom('spa_login_links')
      .selectAll()
      .where('token_hash', '=', tokenHash)
      .executeTakeFirst();
    return row ? toLink(row) : null;
  }

  async findById(appId: string, id: string): Promise<LoginLink | null> {
    const row = await this.db
      .selectFrom('spa_login_links')
      .selectAll()
      .where('app_id', '=', appId)
      .where('id', '=', id)
      .executeTakeFirst();
    return row ? toLink(row) : null;
  }

  async list(appId: string, query: LoginLinkQuery): Promise<LoginLink[]> {
    let q = this.db.selectFrom('spa_login_links').selectAll().where('app_id', '=', appId);
    if (query.userId !== undefined) q = q.where('user_id', '=', query.userId);
    if (query.surveyId !== undefined) q = q.where('survey_id', '=', query.surveyId);
    if (query.afterId !== undefined) q = q.where('id', '>', query.afterId);
    const rows = await q.orderBy('id').limit(query.limit).execute();
    return rows.map(toLink);
  }

  async revoke(appId: string, id: string, at: number): Promise<LoginLink | null> {
    // Only a live link is stamped: revoking twice keeps the first time.
    await this.db
      .updateTable('spa_login_links')
      .set({ revoked_at: at })
      .where('app_id', '=', appId)
      .where('id', '=', id)
      .where('revoked_at', 'is', null)
      .execute();
    return this.findById(appId, id);
  }

  async touch(id: string, at: number): Promise<void> {
    await this.db.updateTable('spa_login_links').set({ last_used_at: at }).where('id', '=', id).execute();
  }
}
