import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { EmailCode } from '../../src/apps/types.js';
import { newId } from '../../src/shared/ids.js';
import { backends } from '../helpers/backends.js';
import { createApp, newUser, T0, withStore } from './support.js';

function code(appId: string, overrides: Partial<EmailCode> = {}): EmailCode {
  return {
    id: newId(),
    appId,
    email: 'someone@example.com',
    codeHash: 'a'.repeat(64),
    attempts: 0,
    createdAt: T0,
    expiresAt: T0 + 600_000,
    consumedAt: null,
    ...overrides,
  };
}

for (const backend of await backends()) {
  describe(`EmailCodeRepository on ${backend.name}`, () => {
    test('countAttempt counts and returns a live code of the app; never beyond the cap, never an expired or consumed one', () =>
      withStore(backend, async (f) => {
        const app = await createApp(f.repos);
        const other = await createApp(f.repos);
        const c = code(app.id);
        await f.repos.appEmailCodes.create(c);
        assert.equal(await f.repos.appEmailCodes.countAttempt(other.id, c.id, T0, 5), null);
        assert.equal(await f.repos.appEmailCodes.countAttempt(app.id, newId(), T0, 5), null);
        for (let i = 1; i <= 5; i++) {
          assert.deepEqual(await f.repos.appEmailCodes.countAttempt(app.id, c.id, T0, 5), {
            ...c,
            attempts: i,
          });
        }
        assert.equal(await f.repos.appEmailCodes.countAttempt(app.id, c.id, T0, 5), null, 'burnt');
        const old = code(app.id);
        await f.repos.appEmailCodes.create(old);
        assert.equal(
          await f.repos.appEmailCodes.countAttempt(app.id, old.id, T0 + 600_000, 5),
          null,
          'expired',
        );
        const used = code(app.id);
        await f.repos.appEmailCodes.create(used);
        assert.equal(await f.repos.appEmailCodes.consume(used.id, T0), true);
        assert.equal(await f.repos.appEmailCodes.countAttempt(app.id, used.id, T0, 5), null, 'consumed');
      }));

    test('countAttempt holds its cap under concurrency', () =>
      withStore(
        backend,
        async (f) => {
          const app = await createApp(f.repos);
          const c = code(app.id);
          await f.repos.appEmailCodes.create(c);
          const results = await Promise.all(
            Array.from({ length: 20 }, () => f.repos.appEmailCodes.countAttempt(app.id, c.id, T0, 5)),
          );
          assert.equal(results.filter((r) => r !== null).length, 5);
        },
        { poolSize: 5 },
      ));

    test('consume is a compare-and-swap: exactly one of many parallel consumers wins; expired codes cannot be consumed', () =>
      withStore(
        backend,
        async (f) => {
          const app = await createApp(f.repos);
          const c = code(app.id);
          await f.repos.appEmailCodes.create(c);
          const wins = await Promise.all(
            Array.from({ length: 20 }, () => f.repos.appEmailCodes.consume(c.id, T0 + 1)),
          );
          assert.equal(wins.filter(Boolean).length, 1);
          const old = code(app.id);
          await f.repos.appEmailCodes.create(old);
          assert.equal(await f.repos.appEmailCodes.consume(old.id, T0 + 600_000), false);
          assert.equal(await f.repos.appEmailCodes.consume(newId(), T0), false);
        },
        { poolSize: 5 },
      ));

    test('deleteExpired removes codes that expired before the given time only', () =>
      withStore(backend, async (f) => {
        const app = await createApp(f.repos);
        const gone = code(app.id, { expiresAt: T0 });
        const kept = code(app.id, { expiresAt: T0 + 10 });
        await f.repos.appEmailCodes.create(gone);
        await f.repos.appEmailCodes.create(kept);
        assert.equal(await f.repos.appEmailCodes.deleteExpired(T0 + 1), 1);
        assert.equal((await f.repos.appEmailCodes.countAttempt(app.id, kept.id, T0, 5)) !== null, true);
      }));
  });

  describe(`UserRepository.findByUsernameKey on ${backend.name}`, () => {
    test('matches the stored key exactly: no case folding, no email lookup, scoped by app', () =>
      withStore(backend, async (f) => {
        const app = await createApp(f.repos);
        const other = await createApp(f.repos);
        const user = await f.repos.users.create(
          newUser(app.id, {
            username: 'ann@example.com',
            emails: [{ address: 'ann.mail@example.com', isPrimary: true, isVerified: true }],
          }),
          T0,
        );
        const mixed = await f.repos.users.create(newUser(app.id, { username: 'Bert' }), T0);
        assert.equal((await f.repos.users.findByUsernameKey(app.id, 'ann@example.com'))?.id, user.id);
        assert.equal(await f.repos.users.findByUsernameKey(app.id, 'ANN@example.com'), null);
        assert.equal(
          await f.repos.users.findByUsernameKey(app.id, 'ann.mail@example.com'),
          null,
          'not by email',
        );
        assert.equal(await f.repos.users.findByUsernameKey(other.id, 'ann@example.com'), null);
        // The key of a mixed-case username is its lowercase form.
        assert.equal((await f.repos.users.findByUsernameKey(app.id, 'bert'))?.id, mixed.id);
        assert.equal(await f.repos.users.findByUsernameKey(app.id, 'Bert'), null);
        // findByLogin still reads an '@' as an email address.
        assert.equal((await f.repos.users.findByLogin(app.id, 'ann.mail@example.com'))?.id, user.id);
      }));
  });
}
