import type { Kysely } from 'kysely';
import type { ActivationToken, ActivationTokenRepository } from '../../../identity/registration.js';
import type { ActivationTokensTable, Database } from '../schema.js';

const toToken = (r: ActivationTokensTable): ActivationToken => ({
  id: r.id,
  appId: r.app_id,
  userId: r.user_id,
  email: r.email,
  tokenHash: r.token_hash,
  passwordHash: r.password_hash,
  createdAt: r.created_at,
  expiresAt: r.expires_at,
});

export class SqlActivationTokenRepository implements ActivationTokenRepository {
  constructor(private readonly db: Kysely<Database>) {}

  async create(token: ActivationToken): Promise<void> {
    await this.db
      .insertInto('activation_tokens')
      .values({
        id: token.id,
        app_id: token.appId,
        user_id: token.userId,
        email: token.email,
        token_hash: token.tokenHash,
        password_hash: token.passwordHash,
        created_at: token.createdAt,
        expires_at: token.expiresAt,
        used_at: null,
      })
      .execute();
  }

  async consume(tokenHash: string, now: number): Promise<ActivationToken | null> {
    // One conditional UPDATE is the consume-once, and it uses up the user's other links in
    // the same statement: PostgreSQL makes a concurrent one wait on the row locks and then
    // find used_at set (it re-checks the condition on the rows it waited for); SQLite
    // serialises writers. So of concurrent uses of any of one user's links, exactly one
    // caller gets its row back.
    const rows = await this.db
      .updateTable('activation_tokens')
      .set({ used_at: now })
      .where('used_at', 'is', null)
      .where('user_id', '=', (eb) =>
        eb
          .selectFrom('activation_tokens as link')
          .select('link.user_id')
          .where('link.token_hash', '=', tokenHash)
          .where('link.used_at', 'is', null)
          .where('link.expires_at', '>', now),
      )
      .returningAll()
      .execute();
    const row = rows.find((r) => r.token_hash === tokenHash);
    return row ? toToken(row) : null;
  }

  async deleteExpiredBefore(before: number): Promise<number> {
    const result = await this.db
      .deleteFrom('activation_tokens')
      .where('expires_at', '<', before)
      .executeTakeFirst();
    return Number(result.numDeletedRows);
  }
}
