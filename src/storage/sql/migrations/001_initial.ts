import type { Kysely, Migration } from 'kysely';

// biome-ignore lint/suspicious/noExplicitAny: migrations are written against the schema as it was, not the current types
type AnyDb = Kysely<any>;

export const initial: Migration = {
  async up(db: AnyDb) {
    await db.schema
      .createTable('apps')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('owner', 'text', (c) => c.notNull())
      .addColumn('name', 'text', (c) => c.notNull())
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .addUniqueConstraint('apps_owner_name', ['owner', 'name'])
      .execute();

    await db.schema
      .createTable('users')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('app_id', 'text', (c) => c.notNull().references('apps.id'))
      .addColumn('username', 'text')
      .addColumn('username_key', 'text')
      .addColumn('full_name', 'text')
      .addColumn('picture', 'text')
      .addColumn('password_hash', 'text')
      .addColumn('is_active', 'integer', (c) => c.notNull().defaultTo(1))
      .addColumn('deactivated_at', 'bigint')
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .addColumn('updated_at', 'bigint', (c) => c.notNull())
      .addUniqueConstraint('users_app_username', ['app_id', 'username_key'])
      .execute();
    await db.schema.createIndex('users_app_created').on('users').columns(['app_id', 'id']).execute();

    await db.schema
      .createTable('user_emails')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('app_id', 'text', (c) => c.notNull())
      .addColumn('user_id', 'text', (c) => c.notNull().references('users.id').onDelete('cascade'))
      .addColumn('address', 'text', (c) => c.notNull())
      .addColumn('address_key', 'text', (c) => c.notNull())
      .addColumn('is_verified', 'integer', (c) => c.notNull().defaultTo(0))
      .addColumn('is_primary', 'integer', (c) => c.notNull().defaultTo(0))
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .addUniqueConstraint('user_emails_app_address', ['app_id', 'address_key'])
      .execute();
    await db.schema.createIndex('user_emails_user').on('user_emails').column('user_id').execute();

    await db.schema
      .createTable('signing_keys')
      .addColumn('kid', 'text', (c) => c.primaryKey())
      .addColumn('alg', 'text', (c) => c.notNull())
      .addColumn('public_jwk', 'text', (c) => c.notNull())
      .addColumn('private_sealed', 'text', (c) => c.notNull())
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .addColumn('retired_at', 'bigint')
      .addColumn('verify_until', 'bigint')
      .execute();

    await db.schema
      .createTable('sessions')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('app_id', 'text', (c) => c.notNull())
      .addColumn('user_id', 'text', (c) => c.notNull().references('users.id').onDelete('cascade'))
      .addColumn('kind', 'text', (c) => c.notNull())
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .addColumn('expires_at', 'bigint', (c) => c.notNull())
      .addColumn('revoked_at', 'bigint')
      .addColumn('revoke_reason', 'text')
      .addColumn('client_ip', 'text')
      .addColumn('user_agent', 'text')
      .addColumn('data', 'text', (c) => c.notNull().defaultTo('{}'))
      .execute();
    await db.schema.createIndex('sessions_user').on('sessions').column('user_id').execute();
    await db.schema.createIndex('sessions_revoked').on('sessions').column('revoked_at').execute();

    await db.schema
      .createTable('session_credentials')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('session_id', 'text', (c) => c.notNull().references('sessions.id').onDelete('cascade'))
      .addColumn('secret_hash', 'text')
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .addColumn('rotated_at', 'bigint')
      .addColumn('successor_id', 'text')
      .addColumn('successor_sealed', 'text')
      .addColumn('grace_until', 'bigint')
      .execute();
    await db.schema
      .createIndex('session_credentials_session')
      .on('session_credentials')
      .column('session_id')
      .execute();

    for (const table of ['permissions', 'roles']) {
      await db.schema
        .createTable(table)
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('app_id', 'text', (c) => c.notNull())
        .addColumn('name', 'text', (c) => c.notNull())
        .addColumn('description', 'text')
        .addColumn('scope_org_id', 'text')
        .addColumn('is_system', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addColumn('updated_at', 'bigint', (c) => c.notNull())
        .addUniqueConstraint(`${table}_app_name`, ['app_id', 'name'])
        .execute();
    }
    await db.schema
      .createTable('role_permissions')
      .addColumn('role_id', 'text', (c) => c.notNull().references('roles.id').onDelete('cascade'))
      .addColumn('permission_id', 'text', (c) => c.notNull().references('permissions.id').onDelete('cascade'))
      .addPrimaryKeyConstraint('role_permissions_pk', ['role_id', 'permission_id'])
      .execute();
    for (const [table, column, target] of [
      ['permission_grants', 'permission_id', 'permissions.id'],
      ['role_grants', 'role_id', 'roles.id'],
    ] as const) {
      await db.schema
        .createTable(table)
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('app_id', 'text', (c) => c.notNull())
        .addColumn('user_id', 'text', (c) => c.notNull().references('users.id').onDelete('cascade'))
        .addColumn(column, 'text', (c) => c.notNull().references(target).onDelete('cascade'))
        .addColumn('org_id', 'text', (c) => c.notNull().defaultTo(''))
        .addColumn('resource_id', 'text', (c) => c.notNull().defaultTo(''))
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addUniqueConstraint(`${table}_unique`, ['user_id', column, 'org_id', 'resource_id'])
        .execute();
      await db.schema.createIndex(`${table}_user`).on(table).column('user_id').execute();
    }
  },
};
