import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { Migrator } from 'kysely';
import { emailKey } from '../../src/identity/validation.js';
import { newId } from '../../src/shared/ids.js';
import { migrateToLatest, openStore } from '../../src/storage/sql/database.js';
import { migrationProvider } from '../../src/storage/sql/migrations/index.js';
import { backends } from '../helpers/backends.js';
import { T0 } from './support.js';

for (const backend of await backends()) {
  describe(`migration 011 recomputes stored email keys (${backend.name})`, () => {
    test('old lowercase keys become canonical keys; a twin keeps its old key so nothing is lost', async () => {
      const { url, cleanup } = await backend.create();
      const store = openStore(url);
      try {
        const migrator = new Migrator({ db: store.db, provider: migrationProvider });
        const { error } = await migrator.migrateTo('010_revocation_tombstones');
        assert.equal(error, undefined);
        const appId = newId();
        await store.db
          .insertInto('apps')
          .values({ id: appId, owner: 'acme', name: 'keys', created_at: T0 })
          .execute();
        const rows = [
          // [address, verified, created_at]: the key stored then was address.toLowerCase().
          ['Jörg@Bücher.DE', 1, T0],
          ['\uff4b\uff41\uff54\uff45@victim.example', 0, T0 + 1], // fullwidth twin, unverified, older
          ['kate@victim.example', 1, T0 + 2], // the verified owner wins the canonical key
          ['Stra\u00dfe@example.com', 0, T0 + 3],
        ] as const;
        const ids: string[] = [];
        for (const [address, verified, at] of rows) {
          const userId = newId();
          ids.push(userId);
          await store.db
            .insertInto('users')
            .values({
              id: userId,
              app_id: appId,
              username: null,
              username_key: null,
              full_name: null,
              picture: null,
              password_hash: null,
              is_active: 1,
              deactivated_at: null,
              created_at: at,
              updated_at: at,
            })
            .execute();
          await store.db
            .insertInto('user_emails')
            .values({
              id: newId(),
              app_id: appId,
              user_id: userId,
              address,
              address_key: address.toLowerCase(),
              is_verified: verified,
              is_primary: 1,
              created_at: at,
            })
            .execute();
        }
        await migrateToLatest(store.db);
        const keyOf = async (userId: string) =>
          (
            await store.db
              .selectFrom('user_emails')
              .select('address_key')
              .where('user_id', '=', userId)
              .executeTakeFirstOrThrow()
          ).address_key;
        assert.equal(await keyOf(ids[0]!), 'jörg@xn--bcher-kva.de');
        assert.equal(await keyOf(ids[2]!), emailKey('kate@victim.example'));
        assert.equal(await keyOf(ids[1]!), rows[1][0].toLowerCase(), 'the twin keeps its old key');
        assert.equal(await keyOf(ids[3]!), 'strasse@example.com');
      } finally {
        await store.close();
        await cleanup();
      }
    });
  });
}
