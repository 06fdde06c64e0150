import type { Kysely, Migration } from 'kysely';

// biome-ignore lint/suspicious/noExplicitAny: migrations are written against the schema as it was, not the current types
type AnyDb = Kysely<any>;

/**
 * What the feathers dialect needs, in general-purpose tables: organisations and their
 * members (the dialect's `belongsTo`; the rpc dialect's org.* methods can use them too),
 * per-user integrations, and one-time activation links.
 */
export const feathers: Migration = {
  async up(db: AnyDb) {
    await db.schema
      .createTable('orgs')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('app_id', 'text', (c) => c.notNull().references('apps.id'))
      .addColumn('name', 'text', (c) => c.notNull())
      .addColumn('slug', 'text', (c) => c.notNull())
      // NULL for orgs not tied to a domain; NULLs never collide in a unique index (both stores).
      .addColumn('domain', 'text')
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .addColumn('updated_at', 'bigint', (c) => c.notNull())
      .addUniqueConstraint('orgs_app_slug', ['app_id', 'slug'])
      .addUniqueConstraint('orgs_app_domain', ['app_id', 'domain'])
      .execute();

    await db.schema
      .createTable('org_memberships')
      .addColumn('org_id', 'text', (c) => c.notNull().references('orgs.id').onDelete('cascade'))
      .addColumn('user_id', 'text', (c) => c.notNull().references('users.id').onDelete('cascade'))
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .addPrimaryKeyConstraint('org_memberships_pk', ['org_id', 'user_id'])
      .execute();
    await db.schema.createIndex('org_memberships_user').on('org_memberships').column('user_id').execute();

    await db.schema
      .createTable('user_integrations')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('app_id', 'text', (c) => c.notNull())
      .addColumn('user_id', 'text', (c) => c.notNull().references('users.id').onDelete('cascade'))
      .addColumn('name', 'text', (c) => c.notNull())
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .addUniqueConstraint('user_integrations_user_name', ['user_id', 'name'])
      .execute();

    await db.schema
      .createTable('activation_tokens')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('app_id', 'text', (c) => c.notNull())
      .addColumn('user_id', 'text', (c) => c.notNull().references('users.id').onDelete('cascade'))
      .addColumn('email', 'text', (c) => c.notNull())
      // SHA-256 of the secret in the link; the secret itself is never stored.
      .addColumn('token_hash', 'text', (c) => c.notNull().unique())
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .addColumn('expires_at', 'bigint', (c) => c.notNull())
      .addColumn('used_at', 'bigint')
      .execute();
    await db.schema.createIndex('activation_tokens_user').on('activation_tokens').column('user_id').execute();
  },
};
