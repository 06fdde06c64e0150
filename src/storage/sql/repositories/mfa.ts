import type { Kysely } from 'kysely';
import type { MfaRepository, StoredTotp } from '../../../mfa/ports.js';
import { newId } from '../../../shared/ids.js';
import { isUniqueViolation } from '../database.js';
import type { Database } from '../schema.js';

export class SqlMfaRepository implements MfaRepository {
  constructor(private readonly db: Kysely<Database>) {}

  async findTotp(userId: string): Promise<StoredTotp | null> {
    const row = await this.db
      .selectFrom('mfa_totp')
      .select(['secret_sealed', 'last_step'])
      .where('user_id', '=', userId)
      .executeTakeFirst();
    return row ? { secretSealed: row.secret_sealed, lastStep: row.last_step } : null;
  }

  async savePending(appId: string, userId: string, secretSealed: string, expiresAt: number): Promise<void> {
    await this.db.transaction().execute(async (trx) => {
      await trx.deleteFrom('mfa_totp_pending').where('user_id', '=', userId).execute();
      await trx
        .insertInto('mfa_totp_pending')
        .values({ user_id: userId, app_id: appId, secret_sealed: secretSealed, expires_at: expiresAt })
        .execute();
    });
  }

  async findPending(userId: string): Promise<{ secretSealed: string; expiresAt: number } | null> {
    const row = await this.db
      .selectFrom('mfa_totp_pending')
      .select(['secret_sealed', 'expires_at'])
      .where('user_id', '=', userId)
      .executeTakeFirst();
    return row ? { secretSealed: row.secret_sealed, expiresAt: row.expires_at } : null;
  }

  async activate(
    appId: string,
    userId: string,
    secretSealed: string,
    acceptedStep: number,
    now: number,
  ): Promise<boolean> {
    try {
      await this.db.transaction().execute(async (trx) => {
        await trx.deleteFrom('mfa_totp_pending').where('user_id', '=', userId).execute();
        await trx
          .insertInto('mfa_totp')
          .values({
            user_id: userId,
            app_id: appId,
            secret_sealed: secretSealed,
            created_at: now,
            last_step: acceptedStep,
          })
          .execute();
      });
      return true;
    } catch (err) {
      if (isUniqueViolation(err)) return false;
      throw err;
    }
  }

  async remove(userId: string): Promise<boolean> {
    return this.db.transaction().execute(async (trx) => {
      const removed = await trx.deleteFrom('mfa_totp').where('user_id', '=', userId).executeTakeFirst();
      await trx.deleteFrom('mfa_totp_pending').where('user_id', '=', userId).execute();
      await trx.deleteFrom('mfa_recovery_codes').where('user_id', '=', userId).execute();
      return Number(removed.numDeletedRows) > 0;
    });
  }

  async consumeStep(userId: string, step: number): Promise<boolean> {
    const result = await this.db
      .updateTable('mfa_totp')
      .set({ last_step: step })
      .where('user_id', '=', userId)
      .where((eb) => eb.or([eb('last_step', 'is', null), eb('last_step', '<', step)]))
      .executeTakeFirst();
    return Number(result.numUpdatedRows) === 1;
  }

  async replaceRecoveryCodes(
    appId: string,
    userId: string,
    codeHashes: string[],
    now: number,
  ): Promise<void> {
    await this.db.transaction().execute(async (trx) => {
      await trx.deleteFrom('mfa_recovery_codes').where('user_id', '=', userId).execute();
      await trx
        .insertInto('mfa_recovery_codes')
        .values(
          codeHashes.map((h) => ({
            id: newId(),
            app_id: appId,
            user_id: userId,
            code_hash: h,
            created_at: now,
            used_at: null,
          })),
        )
        .execute();
    });
  }

  async consumeRecoveryCode(userId: string, codeHash: string, now: number): Promise<boolean> {
    const result = await this.db
      .updateTable('mfa_recovery_codes')
      .set({ used_at: now })
      .where('user_id', '=', userId)
      .where('code_hash', '=', codeHash)
      .where('used_at', 'is', null)
      .executeTakeFirst();
    return Number(result.numUpdatedRows) === 1;
  }

  async countRecoveryCodes(userId: string): Promise<number> {
    const row = await this.db
      .selectFrom('mfa_recovery_codes')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('user_id', '=', userId)
      .where('used_at', 'is', null)
      .executeTakeFirst();
    return Number(row?.n ?? 0);
  }
}
