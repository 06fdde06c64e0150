import type { Kysely } from 'kysely';
import type { OutboxMessage, OutboxRepository } from '../../../mail/ports.js';
import type { Database } from '../schema.js';

export class SqlOutboxRepository implements OutboxRepository {
  constructor(private readonly db: Kysely<Database>) {}

  async enqueue(m: OutboxMessage & { createdAt: number }): Promise<void> {
    await this.db
      .insertInto('mail_outbox')
      .values({
        id: m.id,
        app_id: m.appId,
        to_address: m.to,
        template: m.template,
        payload_sealed: m.payloadSealed,
        created_at: m.createdAt,
        attempts: m.attempts,
        next_attempt_at: m.createdAt,
        locked_until: null,
        sent_at: null,
        last_error: null,
      })
      .execute();
  }

  async claimDue(now: number, lockMs: number, limit: number): Promise<OutboxMessage[]> {
    const candidates = await this.db
      .selectFrom('mail_outbox')
      .select(['id'])
      .where('sent_at', 'is', null)
      .where('next_attempt_at', '<=', now)
      .where((eb) => eb.or([eb('locked_until', 'is', null), eb('locked_until', '<=', now)]))
      .orderBy('next_attempt_at')
      .limit(limit)
      .execute();
    const claimed: OutboxMessage[] = [];
    for (const { id } of candidates) {
      // Claim one row at a time with a conditional update: whoever changes it owns it.
      const result = await this.db
        .updateTable('mail_outbox')
        .set({ locked_until: now + lockMs })
        .where('id', '=', id)
        .where('sent_at', 'is', null)
        .where((eb) => eb.or([eb('locked_until', 'is', null), eb('locked_until', '<=', now)]))
        .executeTakeFirst();
      if (Number(result.numUpdatedRows) !== 1) continue;
      const row = await this.db
        .selectFrom('mail_outbox')
        .selectAll()
        .where('id', '=', id)
        .executeTakeFirstOrThrow();
      claimed.push({
        id: row.id,
        appId: row.app_id,
        to: row.to_address,
        template: row.template,
        payloadSealed: row.payload_sealed,
        attempts: row.attempts,
      });
    }
    return claimed;
  }

  async markSent(id: string, now: number): Promise<void> {
    await this.db
      .updateTable('mail_outbox')
      .set({ sent_at: now, locked_until: null, payload_sealed: '', last_error: null })
      .where('id', '=', id)
      .execute();
  }

  async markFailed(id: string, error: string, nextAttemptAt: number): Promise<void> {
    await this.db
      .updateTable('mail_outbox')
      .set((eb) => ({
        attempts: eb('attempts', '+', 1),
        last_error: error,
        next_attempt_at: nextAttemptAt,
        locked_until: null,
      }))
      .where('id', '=', id)
      .execute();
  }

  async pendingCount(): Promise<number> {
    const row = await this.db
      .selectFrom('mail_outbox')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('sent_at', 'is', null)
      .executeTakeFirst();
    return Number(row?.n ?? 0);
  }
}
