import type { Kysely, Migration } from 'kysely';

// biome-ignore lint/suspicious/noExplicitAny: migrations are written against the schema as it was, not the current types
type AnyDb = Kysely<any>;

/**
 * Revocations that outlive their session rows: deleting a user (or an app) deletes its
 * sessions, yet nodes that learn of revocations from the database (without Redis, and
 * every node at start-up) must still see them until the tokens have expired.
 */
export const revocationTombstones: Migration = {
  async up(db: AnyDb) {
    await db.schema
      .createTable('revoked_session_tombstones')
      .addColumn('session_id', 'text', (c) => c.primaryKey())
      .addColumn('revoked_at', 'bigint', (c) => c.notNull())
      .addColumn('expires_at', 'bigint', (c) => c.notNull())
      .execute();
    await db.schema
      .createIndex('revoked_session_tombstones_revoked_at')
      .on('revoked_session_tombstones')
      .column('revoked_at')
      .execute();
    await db.schema
      .createIndex('revoked_session_tombstones_expires_at')
      .on('revoked_session_tombstones')
      .column('expires_at')
      .execute();
    // The hourly purge finds ended sessions by either time (revoked_at has its index).
    await db.schema.createIndex('sessions_expires_at').on('sessions').column('expires_at').execute();
  },
};
