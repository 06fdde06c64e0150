import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { emailKey } from '../../src/identity/validation.js';
import { backends } from '../helpers/backends.js';
import { createApp, newUser, primary, secondary, T0, withStore } from './support.js';

for (const backend of await backends()) {
  describe(`users.releaseUnverifiedEmail (${backend.name})`, () => {
    test('removes only an unverified claim of another account, and a lost primary is replaced', () =>
      withStore(backend, async ({ repos }) => {
        const app = await createApp(repos);
        const claimer = await repos.users.create(
          newUser(app.id, { emails: [primary('Owner@Example.com'), secondary('other@example.com', true)] }),
          T0,
        );
        const verified = await repos.users.create(
          newUser(app.id, { emails: [primary('v@example.com', true)] }),
          T0,
        );
        const key = emailKey('owner@example.com');
        assert.equal(
          await repos.users.releaseUnverifiedEmail(app.id, key, claimer.id),
          null,
          'not from the prover itself',
        );
        assert.equal(await repos.users.releaseUnverifiedEmail(app.id, emailKey('v@example.com'), null), null);
        assert.equal(
          (await repos.users.findById(app.id, verified.id))?.emails.length,
          1,
          'a verified holder keeps it',
        );
        assert.equal(await repos.users.releaseUnverifiedEmail(app.id, key, null), claimer.id);
        assert.deepEqual((await repos.users.findById(app.id, claimer.id))?.emails, [
          { address: 'other@example.com', isVerified: true, isPrimary: true },
        ]);
        assert.equal(await repos.users.releaseUnverifiedEmail(app.id, key, null), null, 'once');
      }));
  });
}
