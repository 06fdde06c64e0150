import type { Kysely, Migration } from 'kysely';

// biome-ignore lint/suspicious/noExplicitAny: migrations are written against the schema as it was, not the current types
type AnyDb = Kysely<any>;

/** The apps dialect: profile workspaces, their per-app WSID sequence, provisioning jobs and mailed email codes. */
export const apps: Migration = {
  async up(db: AnyDb) {
    await db.schema
      .createTable('app_profiles')
      .addColumn('user_id', 'text', (c) => c.primaryKey().references('users.id').onDelete('cascade'))
      .addColumn('app_id', 'text', (c) => c.notNull())
      .addColumn('login', 'text', (c) => c.notNull())
      .addColumn('subject_kind', 'integer', (c) => c.notNull())
      // null until the provisioning job allocates it; then fixed for good.
      .addColumn('wsid', 'bigint')
      .addColumn('status', 'text', (c) => c.notNull())
      .addColumn('error', 'text')
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .addColumn('updated_at', 'bigint', (c) => c.notNull())
      .addUniqueConstraint('app_profiles_app_wsid', ['app_id', 'wsid'])
      .execute();

    await db.schema
      .createTable('app_wsid_counters')
      .addColumn('app_id', 'text', (c) => c.primaryKey())
      // The next profile WSID base the app hands out.
      .addColumn('next_base', 'bigint', (c) => c.notNull())
      .execute();

    await db.schema
      .createTable('app_jobs')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('app_id', 'text', (c) => c.notNull())
      .addColumn('user_id', 'text', (c) => c.notNull().references('users.id').onDelete('cascade'))
      .addColumn('kind', 'text', (c) => c.notNull())
      .addColumn('status', 'text', (c) => c.notNull())
      .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
      .addColumn('run_after', 'bigint', (c) => c.notNull())
      .addColumn('locked_until', 'bigint')
      .addColumn('last_error', 'text')
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .addColumn('updated_at', 'bigint', (c) => c.notNull())
      .execute();
    await db.schema.createIndex('app_jobs_due').on('app_jobs').columns(['status', 'run_after']).execute();
    await db.schema.createIndex('app_jobs_app').on('app_jobs').columns(['app_id', 'created_at']).execute();

    await db.schema
      .createTable('app_email_codes')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('app_id', 'text', (c) => c.notNull())
      .addColumn('email', 'text', (c) => c.notNull())
      // HMAC-SHA256 of id and code under a key derived from the master secret; the code itself is never stored.
      .addColumn('code_hash', 'text', (c) => c.notNull())
      .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .addColumn('expires_at', 'bigint', (c) => c.notNull())
      .addColumn('consumed_at', 'bigint')
      .execute();
    await db.schema
      .createIndex('app_email_codes_expires')
      .on('app_email_codes')
      .column('expires_at')
      .execute();
  },
};
