import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { CachedUserRepository } from '../../src/identity/user-cache.js';
import { backends } from '../helpers/backends.js';
import { createApp, newUser, primary, T0, withStore } from './support.js';

for (const backend of await backends()) {
  describe(`users.update with a condition (${backend.name})`, () => {
    test('{isActive: false} writes only while the account is inactive; otherwise null and nothing changes', () =>
      withStore(backend, async ({ repos }) => {
        const app = await createApp(repos);
        // Through the cache as the services use it: the condition must reach the store.
        const users = new CachedUserRepository(repos.users);
        const pending = await users.create(
          newUser(app.id, { isActive: false, passwordHash: 'first', emails: [primary('p@example.com')] }),
          T0,
        );
        await users.findById(app.id, pending.id); // cached as inactive
        await users.update(app.id, pending.id, { isActive: true, passwordHash: 'admin' }, T0 + 1);
        const refused = await users.update(
          app.id,
          pending.id,
          { isActive: true, passwordHash: 'link' },
          T0 + 2,
          { isActive: false },
        );
        assert.equal(refused, null);
        const now = await repos.users.findById(app.id, pending.id);
        assert.equal(now?.passwordHash, 'admin');
        assert.equal(now?.updatedAt, T0 + 1);

        const other = await users.create(
          newUser(app.id, { isActive: false, emails: [primary('q@example.com')] }),
          T0,
        );
        const applied = await users.update(
          app.id,
          other.id,
          { isActive: true, passwordHash: 'link' },
          T0 + 3,
          {
            isActive: false,
          },
        );
        assert.equal(applied?.isActive, true);
        assert.equal(applied?.passwordHash, 'link');
      }));
  });
}
