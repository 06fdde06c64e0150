import type { Kysely, Migration } from 'kysely';

// biome-ignore lint/suspicious/noExplicitAny: migrations are written against the schema as it was, not the current types
type AnyDb = Kysely<any>;

/**
 * Each activation link carries the password hash of the sign-up that sent it, so the
 * link used decides the password (not whoever signed up for the address first).
 */
export const signupPasswords: Migration = {
  async up(db: AnyDb) {
    await db.schema.alterTable('activation_tokens').addColumn('password_hash', 'text').execute();
  },
};
