import type { Kysely } from 'kysely';
import { emailKey } from '../../../identity/email-address.js';
import type {
  InvitationQuery,
  OneTimeKind,
  OneTimeToken,
  OneTimeTokenRepository,
} from '../../../tokens/one-time.js';
import type { Database, OneTimeTokensTable } from '../schema.js';

function toToken(row: OneTimeTokensTable): OneTimeToken {
  let payload: Record<string, unknown> = {};
  try {
    const parsed = JSON.parse(row.payload) as unknown;
    if (parsed && typeof parsed === 'object' && !Array.isArray(parsed))
      payload = parsed as Record<string, unknown>;
  } catch {
    // an unreadable payload is an empty one
  }
  return {
    id: row.id,
    appId: row.app_id,
    kind: row.kind as OneTimeKind,
    userId: row.user_id,
    orgId: row.org_id,
    email: row.email,
    payload,
    createdBy: row.created_by,
    createdAt: row.created_at,
    expiresAt: row.expires_at,
  };
}

export class SqlOneTimeTokenRepository implements OneTimeTokenRepository {
  constructor(private readonly db: Kysely<Database>) {}

  async insert(token: OneTimeToken, tokenHash: string): Promise<void> {
    await this.db
      .insertInto('one_time_tokens')
      .values({
        id: token.id,
        app_id: token.appId,
        kind: token.kind,
        token_hash: tokenHash,
        user_id: token.userId,
        org_id: token.orgId,
        email: token.email,
        email_key: token.email === null ? null : emailKey(token.email),
        payload: JSON.stringify(token.payload),
        created_by: token.createdBy,
        created_at: token.createdAt,
        expires_at: token.expiresAt,
      })
      .execute();
  }

  async find(kind: OneTimeKind, tokenHash: string, now: number): Promise<OneTimeToken | null> {
    const row = await this.db
      .selectFrom('one_time_tokens')
      .selectAll()
      .where('token_hash', '=', tokenHash)
      .where('kind', '=', kind)
      .where('expires_at', '>', now)
      .executeTakeFirst();
    return row ? toToken(row) : null;
  }

  async consume(kind: OneTimeKind, tokenHash: string, now: number): Promise<OneTimeToken | null> {
    // One statement: the row is deleted only if it is still there, of this kind and
    // live; the database serialises concurrent deletes, so only one of them returns it.
    const row = await this.db
      .deleteFrom('one_time_tokens')
      .where('token_hash', '=', tokenHash)
      .where('kind', '=', kind)
      .where('expires_at', '>', now)
      .returningAll()
      .executeTakeFirst();
    return row ? toToken(row) : null;
  }

  async deleteForUser(appId: string, kind: OneTimeKind, userId: string): Promise<number> {
    const result = await this.db
      .deleteFrom('one_time_tokens')
      .where('app_id', '=', appId)
      .where('kind', '=', kind)
      .where('user_id', '=', userId)
      .executeTakeFirst();
    return Number(result.numDeletedRows);
  }

  async deleteExpired(now: number): Promise<number> {
    const result = await this.db
      .deleteFrom('one_time_tokens')
      .where('expires_at', '<=', now)
      .executeTakeFirst();
    return Number(result.numDeletedRows);
  }

  async listInvitations(appId: string, query: InvitationQuery): Promise<OneTimeToken[]> {
    if (query.orgIds !== 'all' && query.orgIds.length === 0) return [];
    let q = this.db
      .selectFrom('one_time_tokens')
      .selectAll()
      .where('app_id', '=', appId)
      .where('kind', '=', 'invitation')
      .where('expires_at', '>', query.now);
    if (query.orgIds !== 'all') q = q.where('org_id', 'in', [...query.orgIds]);
    if (query.toEmailKeys) {
      if (query.toEmailKeys.length === 0) return [];
      q = q.where('email_key', 'in', [...query.toEmailKeys]);
    }
    if (query.afterId) q = q.where('id', '>', query.afterId);
    const rows = await q.orderBy('id').limit(query.limit).execute();
    return rows.map(toToken);
  }
}
