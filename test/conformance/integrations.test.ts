import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { Integration } from '../../src/identity/integrations.js';
import { newId } from '../../src/shared/ids.js';
import { backends } from '../helpers/backends.js';
import { createApp, newUser, T0, withStore } from './support.js';

function integration(appId: string, userId: string, name: string, createdAt = T0): Integration {
  return { id: newId(), appId, userId, name, createdAt };
}

for (const backend of await backends()) {
  describe(`IntegrationRepository on ${backend.name}`, () => {
    test('add, find, list (oldest first), remove; one name per user; scoped to the app', () =>
      withStore(backend, async (f) => {
        const app = await createApp(f.repos);
        const other = await createApp(f.repos);
        const u = await f.repos.users.create(newUser(app.id), T0);
        const v = await f.repos.users.create(newUser(app.id), T0);
        const drive = integration(app.id, u.id, 'drive', T0 + 2);
        const slack = integration(app.id, u.id, 'slack', T0 + 1);
        assert.equal(await f.repos.integrations.add(drive), true);
        assert.equal(await f.repos.integrations.add(slack), true);
        assert.equal(
          await f.repos.integrations.add(integration(app.id, u.id, 'drive')),
          false,
          'already there',
        );
        assert.equal(await f.repos.integrations.add(integration(app.id, v.id, 'drive')), true, 'per user');
        assert.deepEqual(await f.repos.integrations.list(app.id, u.id), [slack, drive]);
        assert.deepEqual(await f.repos.integrations.find(app.id, u.id, 'drive'), drive);
        assert.equal(await f.repos.integrations.find(app.id, u.id, 'nope'), null);
        assert.deepEqual(await f.repos.integrations.list(other.id, u.id), []);
        assert.equal(await f.repos.integrations.remove(other.id, u.id, 'drive'), false);
        assert.equal(await f.repos.integrations.remove(app.id, u.id, 'drive'), true);
        assert.equal(await f.repos.integrations.remove(app.id, u.id, 'drive'), false);
        assert.deepEqual(await f.repos.integrations.list(app.id, u.id), [slack]);
      }));

    test('concurrent adds of one name: exactly one inserts; deleting the user deletes them', () =>
      withStore(backend, async (f) => {
        const app = await createApp(f.repos);
        const u = await f.repos.users.create(newUser(app.id), T0);
        const results = await Promise.all(
          Array.from({ length: 8 }, () => f.repos.integrations.add(integration(app.id, u.id, 'drive'))),
        );
        assert.equal(results.filter(Boolean).length, 1);
        await f.repos.users.delete(app.id, u.id);
        const rows = await f.store.db.selectFrom('user_integrations').selectAll().execute();
        assert.equal(rows.length, 0);
      }));
  });
}
