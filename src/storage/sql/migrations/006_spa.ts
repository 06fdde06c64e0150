import type { Kysely, Migration } from 'kysely';

// biome-ignore lint/suspicious/noExplicitAny: migrations are written against the schema as it was, not the current types
type AnyDb = Kysely<any>;

/**
 * What the spa dialect needs: survey aliases (a user name per survey), login-link
 * tokens (stored as SHA-256 only), and the ids of signed one-time tokens already
 * used (the MFA challenge and its answer), so "once" holds across every node.
 */
export const spa: Migration = {
  async up(db: AnyDb) {
    await db.schema
      .createTable('spa_aliases')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('app_id', 'text', (c) => c.notNull().references('apps.id'))
      .addColumn('user_id', 'text', (c) => c.notNull().references('users.id').onDelete('cascade'))
      .addColumn('survey_id', 'text', (c) => c.notNull())
      .addColumn('user_name', 'text', (c) => c.notNull())
      // Lowercased user_name: one name per survey, whatever its case.
      .addColumn('user_name_key', 'text', (c) => c.notNull())
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .addUniqueConstraint('spa_aliases_name', ['app_id', 'survey_id', 'user_name_key'])
      // A user holds at most one name per survey.
      .addUniqueConstraint('spa_aliases_user', ['app_id', 'survey_id', 'user_id'])
      .execute();
    await db.schema.createIndex('spa_aliases_user_id').on('spa_aliases').column('user_id').execute();

    await db.schema
      .createTable('spa_login_links')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('app_id', 'text', (c) => c.notNull().references('apps.id'))
      .addColumn('user_id', 'text', (c) => c.notNull().references('users.id').onDelete('cascade'))
      // NULL: not bound to a survey.
      .addColumn('survey_id', 'text')
      // SHA-256 of the secret; the secret itself is shown once and never stored.
      .addColumn('token_hash', 'text', (c) => c.notNull().unique())
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .addColumn('expires_at', 'bigint')
      .addColumn('revoked_at', 'bigint')
      .addColumn('last_used_at', 'bigint')
      .execute();
    await db.schema.createIndex('spa_login_links_user_id').on('spa_login_links').column('user_id').execute();

    await db.schema
      .createTable('consumed_tokens')
      // `<kind>:<jti>`: inserting it is the one atomic "use"; a second insert breaks the primary key.
      .addColumn('id', 'text', (c) => c.primaryKey())
      // After this the token is expired anyway and the row can go.
      .addColumn('expires_at', 'bigint', (c) => c.notNull())
      .execute();
    await db.schema
      .createIndex('consumed_tokens_expires')
      .on('consumed_tokens')
      .column('expires_at')
      .execute();
  },
};
