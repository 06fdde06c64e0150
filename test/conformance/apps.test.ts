import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { App } from '../../src/identity/types.js';
import { newId } from '../../src/shared/ids.js';
import { isUniqueViolation } from '../../src/storage/sql/database.js';
import { backends } from '../helpers/backends.js';
import { rejection, T0, withStore } from './support.js';

for (const backend of await backends()) {
  describe(`AppRepository on ${backend.name}`, () => {
    test('create then findById and findByName return the same app; unknown keys return null', () =>
      withStore(backend, async ({ repos }) => {
        const app: App = { id: newId(), owner: 'acme', name: 'portal', createdAt: T0 };
        await repos.apps.create(app);
        assert.deepEqual(await repos.apps.findById(app.id), app);
        assert.deepEqual(await repos.apps.findByName('acme', 'portal'), app);
        assert.equal(await repos.apps.findById(newId()), null);
        assert.equal(await repos.apps.findByName('acme', 'other'), null);
        assert.equal(await repos.apps.findByName('other', 'portal'), null);
        // owner and name are matched as a pair, not each on its own
        assert.equal(await repos.apps.findByName('portal', 'acme'), null);
      }));

    test('timestamps round-trip as exact numbers, up to the largest safe integer', () =>
      withStore(backend, async ({ repos }) => {
        const app: App = { id: newId(), owner: 'acme', name: 'big', createdAt: Number.MAX_SAFE_INTEGER };
        await repos.apps.create(app);
        const found = await repos.apps.findById(app.id);
        assert.equal(typeof found?.createdAt, 'number');
        assert.deepEqual(found, app);
      }));

    test('owner/name is unique; the same name under another owner is a different app', async () =>
      withStore(backend, async ({ repos }) => {
        await repos.apps.create({ id: newId(), owner: 'acme', name: 'portal', createdAt: T0 });
        const err = await rejection(
          repos.apps.create({ id: newId(), owner: 'acme', name: 'portal', createdAt: T0 + 1 }),
        );
        assert.equal(isUniqueViolation(err), true, `not a unique violation: ${String(err)}`);
        const other: App = { id: newId(), owner: 'globex', name: 'portal', createdAt: T0 };
        await repos.apps.create(other);
        assert.deepEqual(await repos.apps.findByName('globex', 'portal'), other);
        assert.equal((await repos.apps.list()).length, 2);
      }));

    test('a duplicate id is a unique violation', () =>
      withStore(backend, async ({ repos }) => {
        const id = newId();
        await repos.apps.create({ id, owner: 'acme', name: 'one', createdAt: T0 });
        const err = await rejection(repos.apps.create({ id, owner: 'acme', name: 'two', createdAt: T0 }));
        assert.equal(isUniqueViolation(err), true, `not a unique violation: ${String(err)}`);
        assert.equal(await repos.apps.findByName('acme', 'two'), null);
      }));

    test('list is empty at first, then ordered by owner then name in binary (code unit) order', () =>
      withStore(backend, async ({ repos }) => {
        assert.deepEqual(await repos.apps.list(), []);
        const pairs: Array<[string, string]> = [
          ['globex', 'b'],
          ['acme', 'z'],
          ['Zeta', 'x'],
          ['acme', 'a'],
          ['globex', 'B'],
          ['acme', 'a_b'],
          ['acme', 'ab'],
        ];
        const apps: App[] = [];
        for (const [owner, name] of pairs) {
          const app = { id: newId(), owner, name, createdAt: T0 };
          apps.push(app);
          await repos.apps.create(app);
        }
        const listed = await repos.apps.list();
        assert.deepEqual(
          listed.map((a) => `${a.owner}/${a.name}`),
          ['Zeta/x', 'acme/a', 'acme/a_b', 'acme/ab', 'acme/z', 'globex/B', 'globex/b'],
        );
        for (const app of apps)
          assert.deepEqual(
            listed.find((a) => a.id === app.id),
            app,
          );
      }));
  });
}
