import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { newId, sha256Hex } from '../../src/shared/ids.js';
import type { Alias, LoginLink } from '../../src/spa/types.js';
import { backends } from '../helpers/backends.js';
import { createApp, type Fixture, newUser, primary, T0, withStore } from './support.js';

async function seed(f: Fixture) {
  const app = await createApp(f.repos);
  const alice = await f.repos.users.create(
    newUser(app.id, { username: 'alice', emails: [primary('a@x.io')] }),
    T0,
  );
  const bob = await f.repos.users.create(
    newUser(app.id, { username: 'bob', emails: [primary('b@x.io')] }),
    T0,
  );
  return { app, alice, bob };
}

function alias(appId: string, userId: string, surveyId: string, userName: string, createdAt = T0): Alias {
  return { id: newId(), appId, userId, surveyId, userName, createdAt };
}

function link(appId: string, userId: string, overrides: Partial<LoginLink> = {}): LoginLink {
  return {
    id: newId(),
    appId,
    userId,
    surveyId: null,
    createdAt: T0,
    expiresAt: null,
    revokedAt: null,
    lastUsedAt: null,
    ...overrides,
  };
}

for (const backend of await backends()) {
  describe(`AliasRepository on ${backend.name}`, () => {
    test('create, find by survey and name key, find by id, remove', () =>
      withStore(backend, async (f) => {
        const { app, alice } = await seed(f);
        const a = alias(app.id, alice.id, 'demo', 'Resp-1');
        assert.equal(await f.repos.aliases.create(a, 'resp-1'), true);
        assert.deepEqual(await f.repos.aliases.find(app.id, 'demo', 'resp-1'), a);
        assert.equal(await f.repos.aliases.find(app.id, 'other', 'resp-1'), null, 'scoped to its survey');
        assert.equal(await f.repos.aliases.find(app.id, 'demo', 'Resp-1'), null, 'looked up by key only');
        assert.deepEqual(await f.repos.aliases.findById(app.id, a.id), a);
        const otherApp = await createApp(f.repos);
        assert.equal(await f.repos.aliases.findById(otherApp.id, a.id), null, 'scoped to its app');
        assert.equal(await f.repos.aliases.remove(otherApp.id, a.id), false);
        assert.equal(await f.repos.aliases.remove(app.id, a.id), true);
        assert.equal(await f.repos.aliases.remove(app.id, a.id), false);
        assert.equal(await f.repos.aliases.find(app.id, 'demo', 'resp-1'), null);
      }));

    test('one name per survey, one name per user and survey; the same name in another survey is fine', () =>
      withStore(backend, async (f) => {
        const { app, alice, bob } = await seed(f);
        assert.equal(await f.repos.aliases.create(alias(app.id, alice.id, 'demo', 'r1'), 'r1'), true);
        assert.equal(
          await f.repos.aliases.create(alias(app.id, bob.id, 'demo', 'R1'), 'r1'),
          false,
          'name taken',
        );
        assert.equal(
          await f.repos.aliases.create(alias(app.id, alice.id, 'demo', 'r2'), 'r2'),
          false,
          'user has one',
        );
        assert.equal(await f.repos.aliases.create(alias(app.id, bob.id, 'other', 'r1'), 'r1'), true);
      }));

    test('concurrent creates of one name: exactly one wins', () =>
      withStore(
        backend,
        async (f) => {
          const { app } = await seed(f);
          const users = await Promise.all(
            Array.from({ length: 8 }, (_, i) =>
              f.repos.users.create(
                newUser(app.id, { username: `u${i}`, emails: [primary(`u${i}@x.io`)] }),
                T0,
              ),
            ),
          );
          const results = await Promise.all(
            users.map((u) => f.repos.aliases.create(alias(app.id, u.id, 'race', 'same'), 'same')),
          );
          assert.equal(results.filter(Boolean).length, 1);
        },
        { poolSize: 8 },
      ));

    test('list filters by user and survey, pages by id; deleting the user deletes its aliases', () =>
      withStore(backend, async (f) => {
        const { app, alice, bob } = await seed(f);
        const made = [
          alias(app.id, alice.id, 's1', 'a'),
          alias(app.id, alice.id, 's2', 'a'),
          alias(app.id, bob.id, 's1', 'b'),
        ];
        for (const a of made) await f.repos.aliases.create(a, a.userName);
        const byId = [...made].sort((x, y) => x.id.localeCompare(y.id));
        assert.deepEqual(await f.repos.aliases.list(app.id, { limit: 10 }), byId);
        assert.deepEqual(
          (await f.repos.aliases.list(app.id, { limit: 10, userId: alice.id })).map((a) => a.surveyId).sort(),
          ['s1', 's2'],
        );
        assert.deepEqual(
          (await f.repos.aliases.list(app.id, { limit: 10, surveyId: 's1' })).map((a) => a.userName).sort(),
          ['a', 'b'],
        );
        assert.deepEqual(await f.repos.aliases.list(app.id, { limit: 1, afterId: byId[0]!.id }), [byId[1]]);
        await f.repos.users.delete(app.id, alice.id);
        assert.deepEqual(
          (await f.repos.aliases.list(app.id, { limit: 10 })).map((a) => a.userId),
          [bob.id],
        );
      }));
  });

  describe(`LoginLinkRepository on ${backend.name}`, () => {
    test('create, find by token hash and id; revoke once; touch', () =>
      withStore(backend, async (f) => {
        const { app, alice } = await seed(f);
        const l = link(app.id, alice.id, { surveyId: 'demo', expiresAt: T0 + 60_000 });
        await f.repos.loginLinks.create(l, sha256Hex('secret-1'));
        assert.deepEqual(await f.repos.loginLinks.findByTokenHash(sha256Hex('secret-1')), l);
        assert.equal(await f.repos.loginLinks.findByTokenHash(sha256Hex('secret-2')), null);
        assert.deepEqual(await f.repos.loginLinks.findById(app.id, l.id), l);
        const revoked = await f.repos.loginLinks.revoke(app.id, l.id, T0 + 5);
        assert.equal(revoked?.revokedAt, T0 + 5);
        const again = await f.repos.loginLinks.revoke(app.id, l.id, T0 + 9);
        assert.equal(again?.revokedAt, T0 + 5, 'revoking twice keeps the first time');
        assert.equal(await f.repos.loginLinks.revoke(app.id, newId(), T0), null);
        await f.repos.loginLinks.touch(l.id, T0 + 7);
        assert.equal((await f.repos.loginLinks.findById(app.id, l.id))?.lastUsedAt, T0 + 7);
      }));

    test('token hashes are unique; list filters and pages; deleting the user deletes its links', () =>
      withStore(backend, async (f) => {
        const { app, alice, bob } = await seed(f);
        await f.repos.loginLinks.create(link(app.id, alice.id), sha256Hex('dup'));
        await assert.rejects(f.repos.loginLinks.create(link(app.id, bob.id), sha256Hex('dup')));
        await f.repos.loginLinks.create(link(app.id, alice.id, { surveyId: 's1' }), sha256Hex('a2'));
        await f.repos.loginLinks.create(link(app.id, bob.id, { surveyId: 's1' }), sha256Hex('b1'));
        assert.equal((await f.repos.loginLinks.list(app.id, { limit: 10 })).length, 3);
        assert.equal((await f.repos.loginLinks.list(app.id, { limit: 10, userId: alice.id })).length, 2);
        assert.equal((await f.repos.loginLinks.list(app.id, { limit: 10, surveyId: 's1' })).length, 2);
        const all = await f.repos.loginLinks.list(app.id, { limit: 10 });
        assert.deepEqual(await f.repos.loginLinks.list(app.id, { limit: 10, afterId: all[1]!.id }), [all[2]]);
        await f.repos.users.delete(app.id, alice.id);
        assert.equal((await f.repos.loginLinks.list(app.id, { limit: 10 })).length, 1);
      }));
  });

  describe(`ConsumedTokenRepository on ${backend.name}`, () => {
    test('an id is consumed once; expired ids are forgotten', () =>
      withStore(backend, async (f) => {
        assert.equal(await f.repos.consumedTokens.consume('mfa-response:a', T0 + 1000), true);
        assert.equal(await f.repos.consumedTokens.consume('mfa-response:a', T0 + 1000), false);
        assert.equal(await f.repos.consumedTokens.consume('mfa-challenge:a', T0 + 1000), true, 'kinds apart');
        assert.equal(await f.repos.consumedTokens.consume('mfa-response:b', T0 + 5000), true);
        assert.equal(await f.repos.consumedTokens.deleteExpired(T0 + 2000), 2);
        assert.equal(await f.repos.consumedTokens.consume('mfa-response:b', T0 + 5000), false);
      }));

    test('20 concurrent consumes of one id: exactly one wins', () =>
      withStore(
        backend,
        async (f) => {
          const results = await Promise.all(
            Array.from({ length: 20 }, () => f.repos.consumedTokens.consume('mfa-response:race', T0 + 1000)),
          );
          assert.equal(results.filter(Boolean).length, 1);
        },
        { poolSize: 10 },
      ));
  });
}
