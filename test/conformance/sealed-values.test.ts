import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { newId } from '../../src/shared/ids.js';
import { backends } from '../helpers/backends.js';
import { createApp, newSession, newUser, T0, withStore } from './support.js';

for (const backend of await backends()) {
  describe(`SealedValueStore on ${backend.name}`, () => {
    test('pages every sealed value of a column in key order, skipping rows without one', () =>
      withStore(backend, async ({ repos, store }) => {
        const app = await createApp(repos);
        const user = await repos.users.create(newUser(app.id), T0);
        const { session, credential } = newSession(app.id, user.id);
        await repos.sessions.create(session, credential);
        // Random mixed-case ids, so the order is the store's own (its collation), as in production.
        const ids = Array.from({ length: 7 }, () => newId());
        const insert = (id: string, successorSealed: string | null) =>
          store.db
            .insertInto('session_credentials')
            .values({ id, session_id: session.id, created_at: T0, successor_sealed: successorSealed })
            .execute();
        for (const id of ids) await insert(id, `v1.sealed-${id}`);
        await insert(newId(), null); // no successor: nothing sealed in that row

        const column = 'session_credentials.successor_sealed';
        const seen: string[] = [];
        let after: string | null = null;
        for (let pages = 0; pages < 10; pages++) {
          const page = await repos.sealedValues.page(column, after, 2);
          for (const value of page) {
            assert.equal(value.sealed, `v1.sealed-${value.key}`);
            seen.push(value.key);
          }
          if (page.length < 2) break;
          after = page[page.length - 1]!.key;
        }
        assert.equal(seen.length, ids.length, `each once: ${seen.join(', ')}`);
        assert.deepEqual([...seen].sort(), [...ids].sort());
        assert.equal(await repos.sealedValues.get(column, ids[0]!), `v1.sealed-${ids[0]}`);
        assert.equal(await repos.sealedValues.get(column, newId()), null);
      }));

    test('replace swaps a value only while it is still the one read', () =>
      withStore(backend, async ({ repos }) => {
        const app = await createApp(repos);
        const user = await repos.users.create(newUser(app.id), T0);
        await repos.mfa.savePending(app.id, user.id, 'v1.old', T0 + 600_000);
        const column = 'mfa_totp_pending.secret_sealed';
        assert.equal(await repos.sealedValues.replace(column, user.id, 'v1.not-this-one', 'v1.new'), false);
        assert.deepEqual(await repos.sealedValues.page(column, null, 10), [
          { key: user.id, sealed: 'v1.old' },
        ]);
        assert.equal(await repos.sealedValues.replace(column, user.id, 'v1.old', 'v1.new'), true);
        assert.deepEqual(await repos.sealedValues.page(column, null, 10), [
          { key: user.id, sealed: 'v1.new' },
        ]);
        assert.equal(
          await repos.sealedValues.replace(column, newId(), 'v1.new', 'v1.newer'),
          false,
          'no such row',
        );
      }));

    test('an outbox row whose mail was sent (body erased) is not listed', () =>
      withStore(backend, async ({ repos }) => {
        const app = await createApp(repos);
        const message = (id: string) => ({
          id,
          appId: app.id,
          to: `${id}@example.com`,
          template: 'password-reset',
          payloadSealed: `v1.body-${id}`,
          attempts: 0,
          createdAt: T0,
        });
        await repos.outbox.enqueue(message('m-1'));
        await repos.outbox.enqueue(message('m-2'));
        await repos.outbox.markSent('m-1', T0 + 1);
        assert.deepEqual(await repos.sealedValues.page('mail_outbox.payload_sealed', null, 10), [
          { key: 'm-2', sealed: 'v1.body-m-2' },
        ]);
      }));
  });
}
