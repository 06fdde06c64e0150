import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { sql } from 'kysely';
import { isLatchkeyError } from '../../src/shared/errors.js';
import { newId } from '../../src/shared/ids.js';
import {
  isUniqueViolation,
  migrateToLatest,
  openStore,
  sqlitePathFromUrl,
} from '../../src/storage/sql/database.js';
import { migrationProvider } from '../../src/storage/sql/migrations/index.js';
import { isConnectionFailure } from '../../src/storage/sql/outages.js';
import { backends, PG_ADMIN_URL } from '../helpers/backends.js';
import { createApp, newUser, rejection, T0, withStore } from './support.js';

const TABLES = [
  'apps',
  'permission_grants',
  'permissions',
  'role_grants',
  'role_permissions',
  'roles',
  'session_credentials',
  'sessions',
  'signing_keys',
  'user_emails',
  'users',
];

/** A store outage, as the storage layer raises it: the one domain error. */
const isOutage = (err: unknown) => isLatchkeyError(err) && err.code === 'storage_unavailable';

const allMigrations = async () => Object.keys(await migrationProvider.getMigrations()).sort();

for (const backend of await backends()) {
  describe(`migrations and store on ${backend.name}`, () => {
    test('migrateToLatest applies every migration to a fresh database, and none on a second run', async () => {
      const { url, cleanup } = await backend.create();
      try {
        const store = openStore(url);
        try {
          assert.equal(store.kind, backend.name);
          const tablesBefore = await store.db.introspection.getTables();
          assert.deepEqual(
            tablesBefore.map((t) => t.name),
            [],
          );
          const applied = await migrateToLatest(store.db);
          assert.deepEqual(applied, await allMigrations());
          assert.ok(applied.length >= 1);
          assert.deepEqual(await migrateToLatest(store.db), []);
          const tables = (await store.db.introspection.getTables()).map((t) => t.name);
          for (const table of TABLES) assert.ok(tables.includes(table), `table ${table} exists`);
        } finally {
          await store.close();
        }
        // a new process (a restart) finds nothing to do either
        const again = openStore(url);
        try {
          assert.deepEqual(await migrateToLatest(again.db), []);
        } finally {
          await again.close();
        }
      } finally {
        await cleanup();
      }
    });

    test('ping answers on an open store', () =>
      withStore(backend, async ({ store }) => {
        await store.ping();
      }));

    test('foreign keys are enforced, and a foreign key violation is not a unique violation', () =>
      withStore(backend, async ({ repos, store }) => {
        const err = await rejection(
          store.db
            .insertInto('users')
            .values({
              id: newId(),
              app_id: newId(),
              username: 'x',
              username_key: 'x',
              full_name: null,
              picture: null,
              password_hash: null,
              is_active: 1,
              deactivated_at: null,
              created_at: T0,
              updated_at: T0,
            })
            .execute(),
        );
        assert.equal(isUniqueViolation(err), false);
        assert.equal(isOutage(err), false, 'a constraint violation is a bug, not an outage');
        const app = await createApp(repos);
        const user = await repos.users.create(newUser(app.id, { username: 'u1' }), T0);
        const dangling = await rejection(
          store.db
            .insertInto('role_grants')
            .values({
              id: newId(),
              app_id: app.id,
              user_id: user.id,
              role_id: newId(),
              org_id: '',
              resource_id: '',
              created_at: T0,
            })
            .execute(),
        );
        assert.equal(isUniqueViolation(dangling), false);
      }));

    test('isUniqueViolation recognises a unique violation from the store', () =>
      withStore(backend, async ({ repos }) => {
        const app = await createApp(repos, 'acme', 'dup');
        const err = await rejection(repos.apps.create({ ...app, id: newId() }));
        assert.equal(isUniqueViolation(err), true, String(err));
        assert.equal(isOutage(err), false);
      }));

    if (backend.name === 'sqlite') {
      test('SQLite runs in WAL mode with synchronous=FULL and foreign keys on, and the file is intact', () =>
        withStore(backend, async ({ store }) => {
          const pragma = async (name: string) =>
            (await sql.raw(`PRAGMA ${name}`).execute(store.db)).rows[0] as Record<string, unknown>;
          assert.deepEqual(await pragma('journal_mode'), { journal_mode: 'wal' });
          assert.deepEqual(await pragma('synchronous'), { synchronous: 2 });
          assert.deepEqual(await pragma('foreign_keys'), { foreign_keys: 1 });
          assert.ok(Number((await pragma('busy_timeout'))['timeout']) > 0, 'a busy timeout is set');
          assert.deepEqual(await pragma('integrity_check'), { integrity_check: 'ok' });
          assert.deepEqual((await sql.raw('PRAGMA foreign_key_check').execute(store.db)).rows, []);
        }));

      test('sqlite URLs accept sqlite:path and sqlite://path', () => {
        assert.equal(sqlitePathFromUrl('sqlite:/tmp/x.db'), '/tmp/x.db');
        assert.equal(sqlitePathFromUrl('sqlite:///tmp/x.db'), '/tmp/x.db');
        assert.equal(sqlitePathFromUrl('sqlite:data/x.db'), 'data/x.db');
        assert.throws(() => sqlitePathFromUrl('sqlite:'));
      });
    }

    if (backend.name === 'postgres') {
      test('several nodes migrating the same fresh database at once apply each migration exactly once', async () => {
        const { url, cleanup } = await backend.create();
        const stores = Array.from({ length: 4 }, () => openStore(url, { poolSize: 2 }));
        try {
          const results = await Promise.all(stores.map((s) => migrateToLatest(s.db)));
          assert.deepEqual(results.flat().sort(), await allMigrations());
          const rows = await stores[0]!.db
            .selectFrom(sql`kysely_migration`.as('m'))
            .select(sql<string>`name`.as('name'))
            .execute();
          assert.deepEqual(rows.map((r) => r.name).sort(), await allMigrations());
        } finally {
          await Promise.all(stores.map((s) => s.close()));
          await cleanup();
        }
      });

      test('an unreachable PostgreSQL fails fast with the storage_unavailable domain error', async () => {
        const store = openStore('postgres://postgres@127.0.0.1:1/latchkey');
        try {
          const started = Date.now();
          const err = await rejection(store.ping());
          assert.equal(isOutage(err), true, `not recognised as unavailable: ${String(err)}`);
          assert.equal(isConnectionFailure((err as { cause?: unknown }).cause), true, 'the cause is kept');
          assert.equal(isUniqueViolation(err), false);
          assert.ok(Date.now() - started < 5000, 'the connection attempt does not hang');
          assert.equal(isOutage(await rejection(migrateToLatest(store.db))), true);
        } finally {
          await store.close();
        }
      });

      test('a query against a database that does not exist is not mistaken for an outage', async () => {
        const url = new URL(PG_ADMIN_URL);
        url.pathname = `/latchkey_missing_${newId()}`;
        const store = openStore(url.toString());
        try {
          const err = await rejection(store.ping());
          assert.equal((err as { code?: string }).code, '3D000');
          assert.equal(isOutage(err), false);
        } finally {
          await store.close();
        }
      });
    }
  });
}

describe('error classifiers', () => {
  test('isConnectionFailure and isUniqueViolation reject non-errors and unrelated errors', () => {
    for (const value of [null, undefined, 'ECONNREFUSED', 42, {}, new Error('boom')]) {
      assert.equal(isConnectionFailure(value), false, String(value));
      assert.equal(isUniqueViolation(value), false, String(value));
    }
    assert.equal(isConnectionFailure(Object.assign(new Error('x'), { code: 'ECONNREFUSED' })), true);
    assert.equal(isConnectionFailure(Object.assign(new Error('x'), { code: 'SQLITE_IOERR_WRITE' })), true);
    assert.equal(isConnectionFailure(Object.assign(new Error('x'), { code: '23505' })), false);
    assert.equal(isUniqueViolation(Object.assign(new Error('x'), { code: '23505' })), true);
  });
});
