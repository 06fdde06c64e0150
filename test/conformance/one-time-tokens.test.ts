import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { newId, sha256Hex } from '../../src/shared/ids.js';
import type { OneTimeToken } from '../../src/tokens/one-time.js';
import { backends } from '../helpers/backends.js';
import { createApp, type Fixture, newUser, primary, T0, withStore } from './support.js';

function token(appId: string, overrides: Partial<OneTimeToken> = {}): OneTimeToken {
  return {
    id: newId(),
    appId,
    kind: 'password_reset',
    userId: null,
    orgId: null,
    email: 'Someone@Example.com',
    payload: {},
    createdBy: null,
    createdAt: T0,
    expiresAt: T0 + 60_000,
    ...overrides,
  };
}

async function setup(f: Fixture) {
  const app = await createApp(f.repos);
  const user = await f.repos.users.create(
    newUser(app.id, { username: `u${newId().slice(0, 6)}`, emails: [primary(`${newId()}@x.test`)] }),
    T0,
  );
  const now = T0;
  const org = {
    id: newId(),
    appId: app.id,
    name: 'Org',
    slug: `org-${newId()}`,
    domain: null,
    createdAt: now,
    updatedAt: now,
  };
  await f.repos.orgs.create(org);
  return { app, user, org };
}

for (const backend of await backends()) {
  describe(`OneTimeTokenRepository on ${backend.name}`, () => {
    test('find and consume by hash, kind and expiry; consume deletes, so a second use finds nothing', () =>
      withStore(backend, async (f) => {
        const { app, user } = await setup(f);
        const t = token(app.id, { userId: user.id, payload: { a: [1, 2] } });
        await f.repos.oneTimeTokens.insert(t, sha256Hex('secret-1'));
        assert.deepEqual(await f.repos.oneTimeTokens.find('password_reset', sha256Hex('secret-1'), T0), t);
        assert.equal(await f.repos.oneTimeTokens.find('email_verification', sha256Hex('secret-1'), T0), null);
        assert.equal(await f.repos.oneTimeTokens.find('password_reset', sha256Hex('other'), T0), null);
        assert.equal(
          await f.repos.oneTimeTokens.find('password_reset', sha256Hex('secret-1'), t.expiresAt),
          null,
        );
        assert.equal(await f.repos.oneTimeTokens.consume('invitation', sha256Hex('secret-1'), T0), null);
        assert.equal(
          await f.repos.oneTimeTokens.consume('password_reset', sha256Hex('secret-1'), t.expiresAt),
          null,
        );
        assert.deepEqual(await f.repos.oneTimeTokens.consume('password_reset', sha256Hex('secret-1'), T0), t);
        assert.equal(await f.repos.oneTimeTokens.consume('password_reset', sha256Hex('secret-1'), T0), null);
        // Put back (a use that failed), it works again.
        await f.repos.oneTimeTokens.insert(t, sha256Hex('secret-1'));
        assert.deepEqual(await f.repos.oneTimeTokens.consume('password_reset', sha256Hex('secret-1'), T0), t);
      }));

    test('consume is atomic: of many concurrent uses exactly one gets the token', () =>
      withStore(
        backend,
        async (f) => {
          const { app } = await setup(f);
          for (let round = 0; round < 5; round++) {
            await f.repos.oneTimeTokens.insert(token(app.id), sha256Hex(`race-${round}`));
            const results = await Promise.all(
              Array.from({ length: 8 }, () =>
                f.repos.oneTimeTokens.consume('password_reset', sha256Hex(`race-${round}`), T0),
              ),
            );
            assert.equal(results.filter((r) => r !== null).length, 1, `round ${round}`);
          }
        },
        { poolSize: 8 },
      ));

    test('a hash is unique; deleteForUser and deleteExpired remove only what they name', () =>
      withStore(backend, async (f) => {
        const { app, user } = await setup(f);
        await f.repos.oneTimeTokens.insert(token(app.id, { userId: user.id }), sha256Hex('a'));
        await assert.rejects(f.repos.oneTimeTokens.insert(token(app.id), sha256Hex('a')));
        await f.repos.oneTimeTokens.insert(
          token(app.id, { userId: user.id, kind: 'email_verification' }),
          sha256Hex('b'),
        );
        await f.repos.oneTimeTokens.insert(token(app.id, { expiresAt: T0 + 1 }), sha256Hex('c'));
        assert.equal(await f.repos.oneTimeTokens.deleteForUser(app.id, 'password_reset', user.id), 1);
        assert.equal(await f.repos.oneTimeTokens.find('password_reset', sha256Hex('a'), T0), null);
        assert.ok(await f.repos.oneTimeTokens.find('email_verification', sha256Hex('b'), T0));
        assert.equal(await f.repos.oneTimeTokens.deleteExpired(T0 + 1), 1);
        assert.ok(await f.repos.oneTimeTokens.find('email_verification', sha256Hex('b'), T0));
      }));

    test("a user's tokens go with the user, an org's with the org", () =>
      withStore(backend, async (f) => {
        const { app, user, org } = await setup(f);
        await f.repos.oneTimeTokens.insert(token(app.id, { userId: user.id }), sha256Hex('u'));
        await f.repos.oneTimeTokens.insert(
          token(app.id, { kind: 'invitation', orgId: org.id }),
          sha256Hex('o'),
        );
        await f.repos.users.delete(app.id, user.id);
        await f.repos.orgDirectory.deleteOrg(app.id, org.id);
        assert.equal(await f.repos.oneTimeTokens.find('password_reset', sha256Hex('u'), T0), null);
        assert.equal(await f.repos.oneTimeTokens.find('invitation', sha256Hex('o'), T0), null);
      }));

    test('listInvitations: live invitations by org and by address (never by the bound id alone), in id order, paged', () =>
      withStore(backend, async (f) => {
        const { app, user, org } = await setup(f);
        const other = { ...org, id: newId(), slug: `other-${newId()}` };
        await f.repos.orgs.create(other);
        const made: OneTimeToken[] = [];
        for (const [i, overrides] of [
          { orgId: org.id, email: 'new@x.test' },
          { orgId: org.id, userId: user.id, email: user.emails[0]!.address },
          { orgId: other.id, email: 'MIXED@x.test' },
          { orgId: org.id, email: 'late@x.test', expiresAt: T0 + 1 },
        ].entries()) {
          const t = token(app.id, { kind: 'invitation', ...overrides });
          made.push(t);
          await f.repos.oneTimeTokens.insert(t, sha256Hex(`inv-${i}`));
        }
        // A reset token is no invitation.
        await f.repos.oneTimeTokens.insert(token(app.id, { orgId: org.id }), sha256Hex('reset'));
        const ids = (list: OneTimeToken[]) => list.map((t) => t.id);
        const sorted = (list: OneTimeToken[]) => ids(list).sort();
        const now = T0 + 1;
        assert.deepEqual(
          ids(await f.repos.oneTimeTokens.listInvitations(app.id, { orgIds: 'all', limit: 10, now })),
          sorted(made.slice(0, 3)),
        );
        assert.deepEqual(
          ids(await f.repos.oneTimeTokens.listInvitations(app.id, { orgIds: [org.id], limit: 10, now })),
          sorted(made.slice(0, 2)),
        );
        assert.deepEqual(
          await f.repos.oneTimeTokens.listInvitations(app.id, { orgIds: [], limit: 10, now }),
          [],
        );
        const to = async (toEmailKeys: string[]) =>
          ids(
            await f.repos.oneTimeTokens.listInvitations(app.id, {
              orgIds: 'all',
              toEmailKeys,
              limit: 10,
              now,
            }),
          );
        assert.deepEqual(
          await to(['mixed@x.test', user.emails[0]!.address.toLowerCase()]),
          sorted([made[1]!, made[2]!]),
        );
        // The invitation bound to the user's id is not listed unless its address is asked for.
        assert.deepEqual(await to(['mixed@x.test']), [made[2]!.id]);
        assert.deepEqual(await to([]), []);
        const page1 = await f.repos.oneTimeTokens.listInvitations(app.id, { orgIds: 'all', limit: 2, now });
        const page2 = await f.repos.oneTimeTokens.listInvitations(app.id, {
          orgIds: 'all',
          limit: 2,
          now,
          afterId: page1.at(-1)!.id,
        });
        assert.deepEqual([...ids(page1), ...ids(page2)], sorted(made.slice(0, 3)));
      }));
  });
}
