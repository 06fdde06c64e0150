import type { Kysely } from 'kysely';
import type { ConsumedTokenRepository } from '../../../mfa/challenge.js';
import { isUniqueViolation } from '../database.js';
import type { Database } from '../schema.js';

/** "Use once" by primary key: of two nodes inserting the same id, exactly one succeeds. */
export class SqlConsumedTokenRepository implements ConsumedTokenRepository {
  constructor(private readonly db: Kysely<Database>) {}

  async consume(id: string, expiresAt: number): Promise<boolean> {
    try {
      await this.db.insertInto('consumed_tokens').values({ id, expires_at: expiresAt }).execute();
      return true;
    } catch (err) {
      if (isUniqueViolation(err)) return false;
      throw err;
    }
  }

  async deleteExpired(now: number): Promise<number> {
    const result = await this.db
      .deleteFrom('consumed_tokens')
      .where('expires_at', '<', now)
      .executeTakeFirst();
    return Number(result.numDeletedRows);
  }
}
