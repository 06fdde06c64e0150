import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { ActivationToken } from '../../src/identity/registration.js';
import { newId, sha256Hex } from '../../src/shared/ids.js';
import { backends } from '../helpers/backends.js';
import { createApp, newUser, T0, withStore } from './support.js';

const HOUR = 3600_000;

function token(appId: string, userId: string, overrides: Partial<ActivationToken> = {}): ActivationToken {
  return {
    id: newId(),
    appId,
    userId,
    email: 'new@acme.com',
    tokenHash: sha256Hex(newId()),
    passwordHash: '$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHQ$aGFzaGhhc2g',
    createdAt: T0,
    expiresAt: T0 + HOUR,
    ...overrides,
  };
}

for (const backend of await backends()) {
  describe(`ActivationTokenRepository on ${backend.name}`, () => {
    test('consume returns the token once; unknown, used and expired hashes return null', () =>
      withStore(backend, async (f) => {
        const app = await createApp(f.repos);
        const u = await f.repos.users.create(newUser(app.id), T0);
        const t = token(app.id, u.id);
        await f.repos.activationTokens.create(t);
        assert.equal(await f.repos.activationTokens.consume(sha256Hex('unknown'), T0), null);
        assert.deepEqual(await f.repos.activationTokens.consume(t.tokenHash, T0 + 1), t);
        assert.equal(await f.repos.activationTokens.consume(t.tokenHash, T0 + 2), null, 'used');
        const row = await f.store.db
          .selectFrom('activation_tokens')
          .selectAll()
          .where('id', '=', t.id)
          .executeTakeFirstOrThrow();
        assert.equal(row.used_at, T0 + 1);
        const late = token(app.id, u.id);
        await f.repos.activationTokens.create(late);
        assert.equal(
          await f.repos.activationTokens.consume(late.tokenHash, T0 + HOUR),
          null,
          'expired at exp',
        );
        assert.deepEqual(await f.repos.activationTokens.consume(late.tokenHash, T0 + HOUR - 1), late);
      }));

    test("a link keeps its sign-up's password hash (or none); using one uses up that user's links only", () =>
      withStore(backend, async (f) => {
        const app = await createApp(f.repos);
        const u = await f.repos.users.create(newUser(app.id), T0);
        const other = await f.repos.users.create(newUser(app.id), T0);
        const withHash = token(app.id, u.id);
        const without = token(app.id, u.id, { passwordHash: null });
        const theirs = token(app.id, other.id);
        for (const t of [withHash, without, theirs]) await f.repos.activationTokens.create(t);
        assert.deepEqual(await f.repos.activationTokens.consume(without.tokenHash, T0), without);
        assert.equal(await f.repos.activationTokens.consume(withHash.tokenHash, T0), null);
        assert.deepEqual(await f.repos.activationTokens.consume(theirs.tokenHash, T0), theirs);
      }));

    test("consuming a link uses up the user's other links; of concurrent uses of two links of one user, one wins", () =>
      withStore(
        backend,
        async (f) => {
          const app = await createApp(f.repos);
          const u = await f.repos.users.create(newUser(app.id), T0);
          const other = await f.repos.users.create(newUser(app.id), T0);
          const [first, second, third] = [token(app.id, u.id), token(app.id, u.id), token(app.id, u.id)];
          const theirs = token(app.id, other.id);
          for (const t of [first, second, third, theirs]) await f.repos.activationTokens.create(t);
          assert.deepEqual(await f.repos.activationTokens.consume(first.tokenHash, T0), first);
          assert.equal(await f.repos.activationTokens.consume(second.tokenHash, T0), null);
          assert.equal(await f.repos.activationTokens.consume(third.tokenHash, T0), null);
          assert.deepEqual(await f.repos.activationTokens.consume(theirs.tokenHash, T0), theirs);

          const v = await f.repos.users.create(newUser(app.id), T0);
          const links = Array.from({ length: 2 }, () => token(app.id, v.id));
          for (const t of links) await f.repos.activationTokens.create(t);
          const results = await Promise.all(
            Array.from({ length: 20 }, (_, i) =>
              f.repos.activationTokens.consume(links[i % 2]!.tokenHash, T0),
            ),
          );
          assert.equal(results.filter((r) => r !== null).length, 1);
        },
        { poolSize: 10 },
      ));

    test('race: 20 concurrent consumes of one token, exactly one wins', () =>
      withStore(
        backend,
        async (f) => {
          const app = await createApp(f.repos);
          const u = await f.repos.users.create(newUser(app.id), T0);
          const t = token(app.id, u.id);
          await f.repos.activationTokens.create(t);
          const results = await Promise.all(
            Array.from({ length: 20 }, () => f.repos.activationTokens.consume(t.tokenHash, T0 + 1)),
          );
          assert.equal(results.filter((r) => r !== null).length, 1);
        },
        { poolSize: 10 },
      ));

    test('hashes are unique; deleteExpiredBefore drops expired tokens only; user deletion cascades', () =>
      withStore(backend, async (f) => {
        const app = await createApp(f.repos);
        const u = await f.repos.users.create(newUser(app.id), T0);
        const t = token(app.id, u.id, { expiresAt: T0 + 10 });
        await f.repos.activationTokens.create(t);
        await assert.rejects(
          f.repos.activationTokens.create(token(app.id, u.id, { tokenHash: t.tokenHash })),
        );
        const live = token(app.id, u.id, { expiresAt: T0 + HOUR });
        await f.repos.activationTokens.create(live);
        assert.equal(await f.repos.activationTokens.deleteExpiredBefore(T0 + 11), 1);
        assert.equal(await f.repos.activationTokens.deleteExpiredBefore(T0 + 11), 0);
        await f.repos.users.delete(app.id, u.id);
        assert.equal((await f.store.db.selectFrom('activation_tokens').selectAll().execute()).length, 0);
      }));
  });
}
