import type { Kysely } from 'kysely';
import type { EmailCodeRepository } from '../../../apps/ports.js';
import type { EmailCode } from '../../../apps/types.js';
import type { AppEmailCodesTable, Database } from '../schema.js';

const toCode = (r: AppEmailCodesTable): EmailCode => ({
  id: r.id,
  appId: r.app_id,
  email: r.email,
  codeHash: r.code_hash,
  attempts: r.attempts,
  createdAt: r.created_at,
  expiresAt: r.expires_at,
  consumedAt: r.consumed_at,
});

export class SqlEmailCodeRepository implements EmailCodeRepository {
  constructor(private readonly db: Kysely<Database>) {}

  async create(code: EmailCode): Promise<void> {
    await this.db
      .insertInto('app_email_codes')
      .values({
        id: code.id,
        app_id: code.appId,
        email: code.email,
        code_hash: code.codeHash,
        attempts: code.attempts,
        created_at: code.createdAt,
        expires_at: code.expiresAt,
        consumed_at: code.consumedAt,
      })
      .execute();
  }

  async countAttempt(appId: string, id: string, now: number, maxAttempts: number): Promise<EmailCode | null> {
    // The attempt is counted before the code is compared, atomically: parallel guesses cannot exceed the cap.
    const result = await this.db
      .updateTable('app_email_codes')
      .set((eb) => ({ attempts: eb('attempts', '+', 1) }))
      .where('id', '=', id)
      .where('app_id', '=', appId)
      .where('consumed_at', 'is', null)
      .where('expires_at', '>', now)
      .where('attempts', '<', maxAttempts)
      .executeTakeFirst();
    if (Number(result.numUpdatedRows) !== 1) return null;
    const row = await this.db
      .selectFrom('app_email_codes')
      .selectAll()
      .where('id', '=', id)
      .executeTakeFirst();
    return row ? toCode(row) : null;
  }

  async consume(id: string, now: number): Promise<boolean> {
    const result = await this.db
      .updateTable('app_email_codes')
      .set({ consumed_at: now })
      .where('id', '=', id)
      .where('consumed_at', 'is', null)
      .where('expires_at', '>', now)
      .executeTakeFirst();
    return Number(result.numUpdatedRows) === 1;
  }

  async deleteExpired(before: number): Promise<number> {
    const result = await this.db
      .deleteFrom('app_email_codes')
      .where('expires_at', '<', before)
      .executeTakeFirst();
    return Number(result.numDeletedRows);
  }
}
