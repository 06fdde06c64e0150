import type { Kysely, Migration } from 'kysely';

// biome-ignore lint/suspicious/noExplicitAny: migrations are written against the schema as it was, not the current types
type AnyDb = Kysely<any>;

/**
 * Identity management (orgs, roles, permissions, invitations, password reset, email
 * verification). Orgs and memberships are the general-purpose tables of 005_feathers;
 * they are created here only if missing, so this migration also stands on its own.
 */
export const identity: Migration = {
  async up(db: AnyDb) {
    await db.schema
      .createTable('orgs')
      .ifNotExists()
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('app_id', 'text', (c) => c.notNull().references('apps.id'))
      .addColumn('name', 'text', (c) => c.notNull())
      .addColumn('slug', 'text', (c) => c.notNull())
      .addColumn('domain', 'text')
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .addColumn('updated_at', 'bigint', (c) => c.notNull())
      .addUniqueConstraint('orgs_app_slug', ['app_id', 'slug'])
      .addUniqueConstraint('orgs_app_domain', ['app_id', 'domain'])
      .execute();
    await db.schema
      .createTable('org_memberships')
      .ifNotExists()
      .addColumn('org_id', 'text', (c) => c.notNull().references('orgs.id').onDelete('cascade'))
      .addColumn('user_id', 'text', (c) => c.notNull().references('users.id').onDelete('cascade'))
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .addPrimaryKeyConstraint('org_memberships_pk', ['org_id', 'user_id'])
      .execute();
    await db.schema
      .createIndex('org_memberships_user')
      .ifNotExists()
      .on('org_memberships')
      .column('user_id')
      .execute();

    // A membership may end (org.addMember's expiresInSeconds): its org's grants stop counting then.
    const tables = await db.introspection.getTables();
    const memberships = tables.find((t) => t.name === 'org_memberships');
    if (!memberships?.columns.some((c) => c.name === 'expires_at')) {
      await db.schema.alterTable('org_memberships').addColumn('expires_at', 'bigint').execute();
    }

    await db.schema
      .createTable('one_time_tokens')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('app_id', 'text', (c) => c.notNull())
      .addColumn('kind', 'text', (c) => c.notNull())
      // SHA-256 of the secret mailed out; the secret itself is never stored.
      .addColumn('token_hash', 'text', (c) => c.notNull().unique())
      .addColumn('user_id', 'text', (c) => c.references('users.id').onDelete('cascade'))
      .addColumn('org_id', 'text', (c) => c.references('orgs.id').onDelete('cascade'))
      .addColumn('email', 'text')
      .addColumn('email_key', 'text')
      .addColumn('payload', 'text', (c) => c.notNull().defaultTo('{}'))
      .addColumn('created_by', 'text')
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .addColumn('expires_at', 'bigint', (c) => c.notNull())
      .execute();
    await db.schema
      .createIndex('one_time_tokens_user')
      .on('one_time_tokens')
      .columns(['user_id', 'kind'])
      .execute();
    await db.schema
      .createIndex('one_time_tokens_org')
      .on('one_time_tokens')
      .columns(['app_id', 'kind', 'org_id'])
      .execute();
    await db.schema
      .createIndex('one_time_tokens_expiry')
      .on('one_time_tokens')
      .column('expires_at')
      .execute();

    // Deleting an org removes the grants made in it; listing who holds a permission or role counts by it.
    await db.schema
      .createIndex('permission_grants_org')
      .on('permission_grants')
      .columns(['app_id', 'org_id'])
      .execute();
    await db.schema.createIndex('role_grants_org').on('role_grants').columns(['app_id', 'org_id']).execute();
    await db.schema
      .createIndex('permission_grants_permission')
      .on('permission_grants')
      .column('permission_id')
      .execute();
    await db.schema.createIndex('role_grants_role').on('role_grants').column('role_id').execute();
    await db.schema
      .createIndex('role_permissions_permission')
      .on('role_permissions')
      .column('permission_id')
      .execute();
  },
};
