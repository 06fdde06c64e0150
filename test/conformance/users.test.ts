import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { User } from '../../src/identity/types.js';
import { LatchkeyError } from '../../src/shared/errors.js';
import { isId, newId } from '../../src/shared/ids.js';
import { backends } from '../helpers/backends.js';
import {
  createApp,
  type Fixture,
  newSession,
  newUser,
  primary,
  rejection,
  secondary,
  T0,
  withStore,
} from './support.js';

function assertLatchkeyError(err: unknown, code: string): void {
  assert.ok(err instanceof LatchkeyError, `expected a LatchkeyError ${code}, got ${String(err)}`);
  assert.equal(err.code, code);
}

async function emailRows(f: Fixture, userId: string) {
  return f.store.db.selectFrom('user_emails').selectAll().where('user_id', '=', userId).execute();
}

for (const backend of await backends()) {
  describe(`UserRepository on ${backend.name}`, () => {
    test('create stores every field and returns the user with its emails, primary first', () =>
      withStore(backend, async ({ repos }) => {
        const app = await createApp(repos);
        const created = await repos.users.create(
          newUser(app.id, {
            username: 'Alice',
            fullName: 'Alice Liddell',
            picture: 'https://example.com/a.png',
            passwordHash: '$argon2id$v=19$m=1024,t=1,p=1$c2FsdA$aGFzaA',
            isActive: false,
            emails: [secondary('alice@work.example', true), primary('Alice@Example.com')],
          }),
          T0,
        );
        assert.ok(isId(created.id), `id ${created.id} is not 24 hex characters`);
        const expected: User = {
          id: created.id,
          appId: app.id,
          username: 'Alice',
          fullName: 'Alice Liddell',
          picture: 'https://example.com/a.png',
          passwordHash: '$argon2id$v=19$m=1024,t=1,p=1$c2FsdA$aGFzaA',
          isActive: false,
          deactivatedAt: null,
          createdAt: T0,
          updatedAt: T0,
          emails: [
            { address: 'Alice@Example.com', isVerified: false, isPrimary: true },
            { address: 'alice@work.example', isVerified: true, isPrimary: false },
          ],
        };
        assert.deepEqual(created, expected);
        assert.deepEqual(await repos.users.findById(app.id, created.id), expected);
      }));

    test('secondary emails keep the order they were given in', () =>
      withStore(backend, async ({ repos }) => {
        const app = await createApp(repos);
        const addresses = ['z@example.com', 'a@example.com', 'm@example.com'];
        const created = await repos.users.create(
          newUser(app.id, {
            username: 'order',
            emails: [...addresses.map((a) => secondary(a)), primary('p@example.com')],
          }),
          T0,
        );
        assert.deepEqual(
          created.emails.map((e) => e.address),
          ['p@example.com', ...addresses],
        );
      }));

    test('users without a username or without emails are allowed, several per app', () =>
      withStore(backend, async ({ repos }) => {
        const app = await createApp(repos);
        const a = await repos.users.create(newUser(app.id, { emails: [primary('a@example.com')] }), T0);
        const b = await repos.users.create(newUser(app.id, { emails: [primary('b@example.com')] }), T0);
        const c = await repos.users.create(newUser(app.id, { username: 'nomail' }), T0);
        assert.equal(a.username, null);
        assert.equal(b.username, null);
        assert.deepEqual(c.emails, []);
        assert.notEqual(a.id, b.id);
        assert.equal(await repos.users.count(app.id), 3);
      }));

    test('usernames are unique per app, case-insensitively, and nothing is left behind', () =>
      withStore(backend, async (f) => {
        const { repos } = f;
        const app = await createApp(repos);
        await repos.users.create(
          newUser(app.id, { username: 'alice', emails: [primary('a@example.com')] }),
          T0,
        );
        const err = await rejection(
          repos.users.create(newUser(app.id, { username: 'ALICE', emails: [primary('b@example.com')] }), T0),
        );
        assertLatchkeyError(err, 'duplicate_username');
        assert.equal(await repos.users.count(app.id), 1);
        assert.equal(await repos.users.findByLogin(app.id, 'b@example.com'), null);
        const orphans = await f.store.db
          .selectFrom('user_emails')
          .select('id')
          .where('address_key', '=', 'b@example.com')
          .execute();
        assert.deepEqual(orphans, []);
      }));

    test('email addresses are unique per app, case-insensitively, across users and the user is not created', () =>
      withStore(backend, async ({ repos }) => {
        const app = await createApp(repos);
        await repos.users.create(
          newUser(app.id, {
            username: 'alice',
            emails: [primary('alice@example.com'), secondary('alias@example.com')],
          }),
          T0,
        );
        for (const address of ['ALICE@example.com', 'Alias@Example.COM']) {
          const err = await rejection(
            repos.users.create(newUser(app.id, { username: 'bob', emails: [primary(address)] }), T0),
          );
          assertLatchkeyError(err, 'duplicate_email');
        }
        // as a secondary address of the new user too
        const err = await rejection(
          repos.users.create(
            newUser(app.id, {
              username: 'bob',
              emails: [primary('bob@example.com'), secondary('alice@EXAMPLE.com')],
            }),
            T0,
          ),
        );
        assertLatchkeyError(err, 'duplicate_email');
        assert.equal(await repos.users.findByLogin(app.id, 'bob'), null, 'the user row was rolled back');
        assert.equal(await repos.users.findByLogin(app.id, 'bob@example.com'), null);
        assert.equal(await repos.users.count(app.id), 1);
      }));

    test('one user listing the same address twice (in any case) is a duplicate_email', () =>
      withStore(backend, async ({ repos }) => {
        const app = await createApp(repos);
        const err = await rejection(
          repos.users.create(
            newUser(app.id, {
              username: 'twice',
              emails: [primary('same@example.com'), secondary('SAME@example.com')],
            }),
            T0,
          ),
        );
        assertLatchkeyError(err, 'duplicate_email');
        assert.equal(await repos.users.count(app.id), 0);
      }));

    test('the same username and email may exist in two different apps', () =>
      withStore(backend, async ({ repos }) => {
        const one = await createApp(repos, 'acme', 'one');
        const two = await createApp(repos, 'acme', 'two');
        const a = await repos.users.create(
          newUser(one.id, { username: 'alice', emails: [primary('alice@example.com')] }),
          T0,
        );
        const b = await repos.users.create(
          newUser(two.id, { username: 'Alice', emails: [primary('ALICE@example.com')] }),
          T0,
        );
        assert.notEqual(a.id, b.id);
        assert.equal((await repos.users.findByLogin(one.id, 'ALICE'))?.id, a.id);
        assert.equal((await repos.users.findByLogin(two.id, 'alice'))?.id, b.id);
        assert.equal((await repos.users.findByLogin(one.id, 'alice@EXAMPLE.com'))?.id, a.id);
        assert.equal((await repos.users.findByLogin(two.id, 'alice@example.com'))?.id, b.id);
        assert.equal(await repos.users.count(one.id), 1);
        assert.equal(await repos.users.count(two.id), 1);
      }));

    test('findById is scoped to the app', () =>
      withStore(backend, async ({ repos }) => {
        const one = await createApp(repos);
        const two = await createApp(repos);
        const user = await repos.users.create(newUser(one.id, { username: 'alice' }), T0);
        assert.equal((await repos.users.findById(one.id, user.id))?.username, 'alice');
        assert.equal(await repos.users.findById(two.id, user.id), null);
        assert.equal(await repos.users.findById(one.id, newId()), null);
      }));

    test('findByLogin finds by username or by any email, case-insensitively, within the app', () =>
      withStore(backend, async ({ repos }) => {
        const app = await createApp(repos);
        const other = await createApp(repos);
        const alice = await repos.users.create(
          newUser(app.id, {
            username: 'Alice.Smith',
            emails: [primary('Alice@Example.com'), secondary('alias@example.org')],
          }),
          T0,
        );
        await repos.users.create(
          newUser(app.id, { username: 'bob', emails: [primary('bob@example.com')] }),
          T0,
        );
        for (const login of [
          'Alice.Smith',
          'alice.smith',
          'ALICE.SMITH',
          'alice@example.com',
          'ALIAS@EXAMPLE.ORG',
        ]) {
          assert.deepEqual(await repos.users.findByLogin(app.id, login), alice, login);
        }
        assert.equal(await repos.users.findByLogin(app.id, 'alice'), null, 'no prefix match');
        assert.equal(await repos.users.findByLogin(app.id, 'nobody@example.com'), null);
        assert.equal(await repos.users.findByLogin(app.id, 'nobody'), null);
        // an email is not a username and a username is not an email
        assert.equal(await repos.users.findByLogin(app.id, 'Alice@Example'), null);
        assert.equal(await repos.users.findByLogin(other.id, 'alice.smith'), null);
        assert.equal(await repos.users.findByLogin(other.id, 'alice@example.com'), null);
      }));

    test('update changes each field on its own and moves updatedAt only', () =>
      withStore(backend, async ({ repos }) => {
        const app = await createApp(repos);
        const user = await repos.users.create(
          newUser(app.id, { username: 'alice', fullName: 'Alice', emails: [primary('alice@example.com')] }),
          T0,
        );
        let expected: User = user;
        const steps: Array<[Parameters<typeof repos.users.update>[2], Partial<User>]> = [
          [{ fullName: 'Alice Liddell' }, { fullName: 'Alice Liddell' }],
          [{ fullName: null }, { fullName: null }],
          [{ picture: 'https://example.com/p.png' }, { picture: 'https://example.com/p.png' }],
          [{ passwordHash: '$argon2id$new' }, { passwordHash: '$argon2id$new' }],
          [{ isActive: false }, { isActive: false }],
          [{ isActive: true }, { isActive: true }],
          [{ deactivatedAt: T0 + 99_000 }, { deactivatedAt: T0 + 99_000 }],
          [{ deactivatedAt: null }, { deactivatedAt: null }],
          [
            { picture: null, passwordHash: null },
            { picture: null, passwordHash: null },
          ],
          [{}, {}],
        ];
        let now = T0;
        for (const [patch, change] of steps) {
          now += 1000;
          const updated = await repos.users.update(app.id, user.id, patch, now);
          expected = { ...expected, ...change, updatedAt: now };
          assert.deepEqual(updated, expected, JSON.stringify(patch));
          assert.deepEqual(await repos.users.findById(app.id, user.id), expected);
        }
        assert.equal(expected.createdAt, T0);
      }));

    test('update of the username renames the login key; null removes it', () =>
      withStore(backend, async ({ repos }) => {
        const app = await createApp(repos);
        const user = await repos.users.create(newUser(app.id, { username: 'alice' }), T0);
        const renamed = await repos.users.update(app.id, user.id, { username: 'Alicia' }, T0 + 1);
        assert.equal(renamed?.username, 'Alicia');
        assert.equal(await repos.users.findByLogin(app.id, 'alice'), null);
        assert.equal((await repos.users.findByLogin(app.id, 'ALICIA'))?.id, user.id);
        // the old name is free again
        const other = await repos.users.create(newUser(app.id, { username: 'ALICE' }), T0);
        assert.equal((await repos.users.findByLogin(app.id, 'alice'))?.id, other.id);
        // changing only the case of one's own username is not a collision
        assert.equal(
          (await repos.users.update(app.id, user.id, { username: 'alicia' }, T0 + 2))?.username,
          'alicia',
        );
        const cleared = await repos.users.update(app.id, user.id, { username: null }, T0 + 3);
        assert.equal(cleared?.username, null);
        assert.equal(await repos.users.findByLogin(app.id, 'alicia'), null);
      }));

    test('update replaces the whole email list', () =>
      withStore(backend, async (f) => {
        const { repos } = f;
        const app = await createApp(repos);
        const user = await repos.users.create(
          newUser(app.id, {
            username: 'alice',
            emails: [primary('old@example.com', true), secondary('keep@example.com', true)],
          }),
          T0,
        );
        const updated = await repos.users.update(
          app.id,
          user.id,
          { emails: [secondary('Keep@Example.com'), primary('new@example.com', true)] },
          T0 + 5,
        );
        assert.deepEqual(updated?.emails, [
          { address: 'new@example.com', isVerified: true, isPrimary: true },
          { address: 'Keep@Example.com', isVerified: false, isPrimary: false },
        ]);
        assert.equal(await repos.users.findByLogin(app.id, 'old@example.com'), null);
        assert.equal((await repos.users.findByLogin(app.id, 'NEW@example.com'))?.id, user.id);
        assert.equal((await repos.users.findByLogin(app.id, 'keep@example.com'))?.id, user.id);
        assert.equal(
          (await emailRows(f, user.id)).length,
          2,
          'old rows are gone, not kept beside the new ones',
        );
        // the released address can be taken by someone else
        await repos.users.create(newUser(app.id, { emails: [primary('old@example.com')] }), T0 + 6);
        const emptied = await repos.users.update(app.id, user.id, { emails: [] }, T0 + 7);
        assert.deepEqual(emptied?.emails, []);
        assert.deepEqual(await emailRows(f, user.id), []);
      }));

    test('update to a taken username or email fails with the duplicate code and changes nothing', () =>
      withStore(backend, async ({ repos }) => {
        const app = await createApp(repos);
        await repos.users.create(
          newUser(app.id, { username: 'bob', emails: [primary('bob@example.com')] }),
          T0,
        );
        const alice = await repos.users.create(
          newUser(app.id, { username: 'alice', emails: [primary('alice@example.com')] }),
          T0,
        );
        assertLatchkeyError(
          await rejection(repos.users.update(app.id, alice.id, { username: 'BOB', fullName: 'x' }, T0 + 1)),
          'duplicate_username',
        );
        assertLatchkeyError(
          await rejection(
            repos.users.update(
              app.id,
              alice.id,
              { fullName: 'x', emails: [primary('new@example.com'), secondary('Bob@example.com')] },
              T0 + 1,
            ),
          ),
          'duplicate_email',
        );
        assert.deepEqual(
          await repos.users.findById(app.id, alice.id),
          alice,
          'the failed updates were rolled back',
        );
        assert.equal((await repos.users.findByLogin(app.id, 'alice@example.com'))?.id, alice.id);
        assert.equal(await repos.users.findByLogin(app.id, 'new@example.com'), null);
      }));

    test('update of an unknown user, or of a user of another app, returns null and changes nothing', () =>
      withStore(backend, async ({ repos }) => {
        const app = await createApp(repos);
        const other = await createApp(repos);
        const user = await repos.users.create(
          newUser(app.id, { username: 'alice', emails: [primary('alice@example.com')] }),
          T0,
        );
        assert.equal(await repos.users.update(app.id, newId(), { fullName: 'x' }, T0 + 1), null);
        assert.equal(
          await repos.users.update(
            other.id,
            user.id,
            { fullName: 'x', emails: [primary('hijack@example.com')] },
            T0 + 1,
          ),
          null,
        );
        assert.deepEqual(await repos.users.findById(app.id, user.id), user);
      }));

    test('delete removes the user with its emails, sessions and role grants; a second delete returns false', () =>
      withStore(backend, async (f) => {
        const { repos, store } = f;
        const app = await createApp(repos);
        const other = await createApp(repos);
        await repos.permissions.ensureSystemObjects(app.id, ['p.read'], T0);
        const user = await repos.users.create(
          newUser(app.id, {
            username: 'alice',
            emails: [primary('alice@example.com'), secondary('b@example.com')],
          }),
          T0,
        );
        const keep = await repos.users.create(
          newUser(app.id, { username: 'keep', emails: [primary('k@example.com')] }),
          T0,
        );
        const { session, credential } = newSession(app.id, user.id);
        await repos.sessions.create(session, credential);
        const kept = newSession(app.id, keep.id);
        await repos.sessions.create(kept.session, kept.credential);
        await repos.permissions.grantRoleByName(app.id, user.id, 'admin', '', T0);

        assert.equal(await repos.users.delete(other.id, user.id), false, 'scoped to the app');
        assert.equal(await repos.users.delete(app.id, user.id), true);
        assert.equal(await repos.users.delete(app.id, user.id), false);
        assert.equal(await repos.users.findById(app.id, user.id), null);
        assert.equal(await repos.users.findByLogin(app.id, 'alice@example.com'), null);
        assert.deepEqual(await emailRows(f, user.id), []);
        assert.equal(await repos.sessions.findSession(session.id), null);
        assert.equal(await repos.sessions.findCredential(credential.id), null);
        const grants = await store.db
          .selectFrom('role_grants')
          .select('id')
          .where('user_id', '=', user.id)
          .execute();
        assert.deepEqual(grants, []);
        // the other user is untouched, and the freed address is reusable
        assert.deepEqual(await repos.users.findById(app.id, keep.id), keep);
        assert.notEqual(await repos.sessions.findSession(kept.session.id), null);
        await repos.users.create(
          newUser(app.id, { username: 'alice', emails: [primary('ALICE@example.com')] }),
          T0,
        );
        assert.equal(await repos.users.delete(app.id, newId()), false);
      }));

    test('list pages by id with limit and afterId, within the app', () =>
      withStore(backend, async ({ repos }) => {
        const app = await createApp(repos);
        const other = await createApp(repos);
        const ids: string[] = [];
        for (let i = 0; i < 7; i++) {
          const u = await repos.users.create(
            newUser(app.id, { username: `user${i}`, emails: [primary(`user${i}@example.com`)] }),
            T0 + i,
          );
          ids.push(u.id);
        }
        await repos.users.create(newUser(other.id, { username: 'user0' }), T0);
        const sorted = [...ids].sort();
        const all = await repos.users.list(app.id, { limit: 100 });
        assert.deepEqual(
          all.map((u) => u.id),
          sorted,
        );
        // each listed user carries its own emails
        for (const u of all) assert.deepEqual(u.emails, [primary(`${u.username}@example.com`)]);
        assert.deepEqual(
          (await repos.users.list(app.id, { limit: 3 })).map((u) => u.id),
          sorted.slice(0, 3),
        );
        const walked: string[] = [];
        let afterId: string | undefined;
        // bounded, so a store that ignored afterId fails here instead of paging forever
        for (let pages = 0; ; pages++) {
          assert.ok(pages <= 3, 'paging by afterId ends after 3 pages');
          const page = await repos.users.list(app.id, { limit: 3, afterId });
          if (page.length === 0) break;
          assert.ok(page.length <= 3);
          walked.push(...page.map((u) => u.id));
          afterId = page.at(-1)!.id;
        }
        assert.deepEqual(walked, sorted);
        assert.deepEqual(await repos.users.list(app.id, { limit: 10, afterId: sorted.at(-1) }), []);
        assert.deepEqual(
          (await repos.users.list(app.id, { limit: 10, afterId: sorted[4] })).map((u) => u.id),
          sorted.slice(5),
        );
        assert.equal((await repos.users.list(other.id, { limit: 10 })).length, 1);
      }));

    test('list with q matches a username or email prefix, case-insensitively', () =>
      withStore(backend, async ({ repos }) => {
        const app = await createApp(repos);
        const make = (username: string | null, ...emails: string[]) =>
          repos.users.create(
            newUser(app.id, {
              username,
              emails: emails.map((e, i) => (i === 0 ? primary(e) : secondary(e))),
            }),
            T0,
          );
        const alice = await make('Alice', 'alice@example.com');
        const alfred = await make('alfred', 'fred@example.com', 'ALBERT@example.com');
        const bob = await make('bob', 'bob@example.com');
        const mailOnly = await make(null, 'Alpha@example.com');
        const names = async (q: string) =>
          (await repos.users.list(app.id, { q, limit: 100 })).map((u) => u.id).sort();
        assert.deepEqual(await names('al'), [alice.id, alfred.id, mailOnly.id].sort());
        assert.deepEqual(await names('AL'), [alice.id, alfred.id, mailOnly.id].sort());
        assert.deepEqual(await names('alb'), [alfred.id], 'matched through a secondary email');
        assert.deepEqual(await names('fred@'), [alfred.id]);
        assert.deepEqual(await names('bob'), [bob.id]);
        assert.deepEqual(await names('lice'), [], 'a prefix, not a substring');
        assert.deepEqual(await names('example'), []);
        // a user matching through two emails is listed once
        await make('zed', 'zed@example.com', 'zed2@example.com');
        assert.equal((await names('zed')).length, 1);
        // q combines with limit
        assert.equal((await repos.users.list(app.id, { q: 'al', limit: 2 })).length, 2);
      }));

    test("list with q treats LIKE wildcards '%' and '_' (and the escape character) literally", () =>
      withStore(backend, async ({ repos }) => {
        const app = await createApp(repos);
        const make = (username: string) => repos.users.create(newUser(app.id, { username }), T0);
        const pct = await make('a%b');
        const under = await make('a_b');
        const plain = await make('axb');
        const slash = await make('a\\b');
        await make('ab');
        const names = async (q: string) =>
          (await repos.users.list(app.id, { q, limit: 100 })).map((u) => u.id).sort();
        assert.deepEqual(await names('a%'), [pct.id]);
        assert.deepEqual(await names('a_'), [under.id]);
        assert.deepEqual(await names('%'), []);
        assert.deepEqual(await names('_'), []);
        assert.deepEqual(await names('a\\'), [slash.id]);
        assert.deepEqual(await names('a\\b'), [slash.id]);
        assert.deepEqual(await names('ax'), [plain.id]);
        assert.equal((await names('a')).length, 5);
      }));

    test('list with ids restricts to those ids; an empty list lists nobody', () =>
      withStore(backend, async ({ repos }) => {
        const app = await createApp(repos);
        const other = await createApp(repos);
        const users = [];
        for (const name of ['ann', 'ben', 'cat', 'dan']) {
          users.push(await repos.users.create(newUser(app.id, { username: name }), T0));
        }
        const foreign = await repos.users.create(newUser(other.id, { username: 'eve' }), T0);
        const pick = [users[0]!.id, users[2]!.id, users[3]!.id, foreign.id, newId()];
        assert.deepEqual(
          (await repos.users.list(app.id, { ids: pick, limit: 100 })).map((u) => u.id),
          [users[0]!.id, users[2]!.id, users[3]!.id].sort(),
        );
        assert.deepEqual(await repos.users.list(app.id, { ids: [], limit: 100 }), []);
        assert.deepEqual(
          (await repos.users.list(app.id, { ids: pick, q: 'C', limit: 100 })).map((u) => u.id),
          [users[2]!.id],
        );
        const sortedPick = [users[0]!.id, users[2]!.id, users[3]!.id].sort();
        assert.deepEqual(
          (await repos.users.list(app.id, { ids: pick, afterId: sortedPick[0], limit: 1 })).map((u) => u.id),
          [sortedPick[1]],
        );
      }));

    test('count counts the users of one app', () =>
      withStore(backend, async ({ repos }) => {
        const app = await createApp(repos);
        const other = await createApp(repos);
        assert.equal(await repos.users.count(app.id), 0);
        const a = await repos.users.create(newUser(app.id, { username: 'a1' }), T0);
        await repos.users.create(newUser(app.id, { username: 'a2' }), T0);
        await repos.users.create(newUser(other.id, { username: 'a1' }), T0);
        const n = await repos.users.count(app.id);
        assert.equal(typeof n, 'number');
        assert.equal(n, 2);
        await repos.users.delete(app.id, a.id);
        assert.equal(await repos.users.count(app.id), 1);
        assert.equal(await repos.users.count(other.id), 1);
        assert.equal(await repos.users.count(newId()), 0);
      }));

    test('a user needs an existing app', () =>
      withStore(backend, async ({ repos }) => {
        await rejection(repos.users.create(newUser(newId(), { username: 'orphan' }), T0));
      }));
  });
}
