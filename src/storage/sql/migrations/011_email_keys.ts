import type { Kysely, Migration } from 'kysely';
import { emailKey } from '../../../identity/email-address.js';

// biome-ignore lint/suspicious/noExplicitAny: migrations are written against the schema as it was, not the current types
type AnyDb = Kysely<any>;

interface EmailRow {
  id: string;
  app_id: string;
  address: string;
  address_key: string;
  is_verified: number;
  created_at: number | string;
}

/**
 * Email keys were the lowercased address; they are now NFKC + full case fold with the
 * domain in IDNA ASCII form (identity/email-address.ts). Every stored key is recomputed.
 *
 * Two rows of one app that the new key merges (a fullwidth or `ẞ` twin accepted before)
 * cannot both hold it: a verified row wins over an unverified one, then the older; the
 * other keeps its old key, so nothing is deleted and the unique index holds, and the new
 * key finds the winner. Changing keys go through a temporary unique value first, so a row
 * may take a key another row is about to give up.
 */
export const emailKeys: Migration = {
  async up(db: AnyDb) {
    const rows = (await db
      .selectFrom('user_emails')
      .select(['id', 'app_id', 'address', 'address_key', 'is_verified', 'created_at'])
      .execute()) as EmailRow[];
    rows.sort(
      (a, b) =>
        b.is_verified - a.is_verified ||
        Number(a.created_at) - Number(b.created_at) ||
        (a.id < b.id ? -1 : 1),
    );
    const taken = new Set(rows.map((r) => `${r.app_id}\n${r.address_key}`));
    const changes: Array<{ id: string; key: string }> = [];
    for (const row of rows) {
      const key = emailKey(row.address);
      if (key === row.address_key) continue;
      if (taken.has(`${row.app_id}\n${key}`)) continue;
      taken.delete(`${row.app_id}\n${row.address_key}`);
      taken.add(`${row.app_id}\n${key}`);
      changes.push({ id: row.id, key });
    }
    for (const { id } of changes) {
      await db
        .updateTable('user_emails')
        .set({ address_key: `migrating:${id}` })
        .where('id', '=', id)
        .execute();
    }
    for (const { id, key } of changes) {
      await db.updateTable('user_emails').set({ address_key: key }).where('id', '=', id).execute();
    }

    // Invitations remember the key of the address they were sent to.
    const invitations = (await db
      .selectFrom('one_time_tokens')
      .select(['id', 'email', 'email_key'])
      .where('email', 'is not', null)
      .execute()) as Array<{ id: string; email: string; email_key: string | null }>;
    for (const row of invitations) {
      const key = emailKey(row.email);
      if (key !== row.email_key) {
        await db.updateTable('one_time_tokens').set({ email_key: key }).where('id', '=', row.id).execute();
      }
    }
  },
};
