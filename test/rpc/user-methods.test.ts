import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, test } from 'node:test';
import { backends } from '../helpers/backends.js';
import { bearer, rpc, signIn } from '../helpers/rpc.js';
import { seedUser, startTestServer, type TestServer } from '../helpers/server.js';
import {
  assertInvalidBody,
  assertOk,
  assertRpcError,
  cookieHeader,
  fromManyClients,
  grantPermission,
  jwtPayload,
  SECOND,
  signInCookie,
  uniqueTag,
} from './support.js';

const ID_OF_NOBODY = 'f'.repeat(24);

interface PresentedUser {
  id: string;
  username: string | null;
  fullName: string | null;
  picture: string | null;
  emails: Array<{ address: string; isVerified: boolean; isPrimary: boolean }>;
  orgs: string[];
  createdAt: string;
  updatedAt: string;
  permissions?: Array<Record<string, unknown>>;
}

for (const backend of await backends()) {
  describe(`rpc user.* methods (${backend.name})`, () => {
    let server: TestServer;
    let admin: Awaited<ReturnType<typeof seedUser>>;
    let adminId: string;
    let adminToken: string;
    let adminSignedInAt = 0;
    before(async () => {
      server = fromManyClients(await startTestServer(backend));
      admin = await seedUser(server, { superuser: true });
      adminId = admin.id;
    });
    // Some tests move the clock: keep the admin's token fresh.
    beforeEach(async () => {
      if (server.clock.now() - adminSignedInAt > 5 * 60 * SECOND) {
        adminToken = await signIn(server, admin.username!, admin.password);
        adminSignedInAt = server.clock.now();
      }
    });
    after(async () => server.close());

    const asAdmin = () => bearer(adminToken);
    const orgsOf = async (userId: string) =>
      (await server.services.identity.orgs.orgIdsOf([userId])).get(userId) ?? [];

    async function userWithToken(options: Parameters<typeof seedUser>[1] = {}) {
      const user = await seedUser(server, options);
      const token = await signIn(server, user.username!, user.password);
      return { user, token, auth: bearer(token) };
    }

    // ---------------------------------------------------------------- user.info

    describe('user.info', () => {
      test('without id: the caller, with every default field and no permissions', async () => {
        const { user, auth } = await userWithToken({ fullName: 'Wile E. Coyote' });
        const res = await rpc(server, 'user.info', {}, auth);
        const info = assertOk(res)['user'] as PresentedUser;
        assert.deepEqual(info, {
          id: user.id,
          username: user.username,
          fullName: 'Wile E. Coyote',
          picture: null,
          emails: [{ address: user.emails[0]!.address, isVerified: true, isPrimary: true }],
          orgs: await orgsOf(user.id),
          createdAt: new Date(user.createdAt).toISOString(),
          updatedAt: new Date(user.updatedAt).toISOString(),
        });
        assert.deepEqual(assertOk(await rpc(server, 'user.info', { id: user.id }, auth))['user'], info);
      });

      test('projection selects fields; self may see its own permissions', async () => {
        const { user, auth } = await userWithToken();
        const res = await rpc(
          server,
          'user.info',
          { projection: { emails: false, createdAt: false, updatedAt: false, orgs: false, picture: false } },
          auth,
        );
        assert.deepEqual(assertOk(res)['user'], { id: user.id, username: user.username, fullName: null });
        const perms = await rpc(
          server,
          'user.info',
          { projection: { permissions: true, emails: false } },
          auth,
        );
        assert.deepEqual((assertOk(perms)['user'] as PresentedUser).permissions, []);
      });

      test('another user needs yeep.user.read (10012); an admin may read anyone, permissions included', async () => {
        const a = await userWithToken();
        const b = await userWithToken();
        assertRpcError(
          await rpc(server, 'user.info', { id: b.user.id }, a.auth),
          10012,
          `User "${a.user.id}" does not have sufficient permissions to access this resource`,
        );
        const byAdmin = assertOk(await rpc(server, 'user.info', { id: b.user.id }, asAdmin()));
        assert.equal((byAdmin['user'] as PresentedUser).id, b.user.id);
        assert.equal((byAdmin['user'] as PresentedUser).username, b.user.username);
        assertRpcError(
          await rpc(server, 'user.info', { id: adminId, projection: { permissions: true } }, a.auth),
          10012,
        );
      });

      test('the admin sees permissions in the reference shape (resourceId included)', async () => {
        const res = await rpc(server, 'user.info', { projection: { permissions: true } }, asAdmin());
        const perms = (assertOk(res)['user'] as PresentedUser).permissions!;
        assert.ok(perms.length > 0);
        for (const p of perms) {
          assert.deepEqual(Object.keys(p).sort(), [
            'id',
            'isSystemPermission',
            'name',
            'orgId',
            'resourceId',
            'roleId',
          ]);
          assert.equal(p['orgId'], '');
          assert.equal(p['resourceId'], '');
        }
        assert.ok(perms.some((p) => p['name'] === 'yeep.user.read'));
      });

      test('10001 for an unknown id, before authorization', async () => {
        const { auth } = await userWithToken();
        assertRpcError(
          await rpc(server, 'user.info', { id: ID_OF_NOBODY }, auth),
          10001,
          'User does not exist',
        );
        assertRpcError(await rpc(server, 'user.info', { id: ID_OF_NOBODY }, asAdmin()), 10001);
      });

      test('10000 without credentials; 400 for a malformed id or projection', async () => {
        assertRpcError(await rpc(server, 'user.info', {}), 10000);
        assertRpcError(await rpc(server, 'user.info', { id: 'nope' }), 10000);
        const badId = assertInvalidBody(await rpc(server, 'user.info', { id: 'not-an-id' }, asAdmin()));
        assert.deepEqual(badId[0]!.path, ['id']);
        assert.equal(badId[0]!.type, 'string.regex.base');
        const badProjection = assertInvalidBody(
          await rpc(server, 'user.info', { projection: { secrets: true } }, asAdmin()),
        );
        assert.deepEqual(badProjection[0]!.path, ['projection', 'secrets']);
        assertInvalidBody(await rpc(server, 'user.info', { id: 42 }, asAdmin()));
      });
    });

    // -------------------------------------------------------------- user.create

    describe('user.create', () => {
      function newUserBody(tag = uniqueTag()) {
        return {
          username: `${tag}_new`,
          password: 'a long enough password',
          fullName: 'New User',
          picture: 'https://example.com/me.png',
          emails: [
            { address: `${tag}@example.com`, isPrimary: true, isVerified: true },
            { address: `${tag}.alt@example.com` },
          ],
        };
      }

      test('an admin creates a user who can then sign in', async () => {
        const body = newUserBody();
        const now = server.clock.now();
        const res = await rpc(server, 'user.create', body, asAdmin());
        const created = assertOk(res)['user'] as PresentedUser;
        assert.match(created.id, /^[0-9a-f]{24}$/);
        assert.deepEqual(created, {
          id: created.id,
          username: body.username,
          fullName: 'New User',
          picture: 'https://example.com/me.png',
          emails: [
            { address: body.emails[0]!.address, isVerified: true, isPrimary: true },
            { address: body.emails[1]!.address, isVerified: false, isPrimary: false },
          ],
          // With the feathers dialect mounted, a verified address puts its user in its domain's org.
          orgs: await orgsOf(created.id),
          createdAt: new Date(now).toISOString(),
          updatedAt: new Date(now).toISOString(),
        });
        const token = await signIn(server, body.emails[1]!.address, body.password);
        assert.equal(jwtPayload(token)['sub'], created.id);
        const info = assertOk(await rpc(server, 'user.info', {}, bearer(token)))['user'];
        assert.deepEqual(info, created);
      });

      test('minimal body: no fullName, no picture', async () => {
        const tag = uniqueTag();
        const res = await rpc(
          server,
          'user.create',
          {
            username: tag,
            password: 'password-123',
            emails: [{ address: `${tag}@example.com`, isPrimary: true }],
          },
          asAdmin(),
        );
        const created = assertOk(res)['user'] as PresentedUser;
        assert.equal(created.fullName, null);
        assert.equal(created.picture, null);
      });

      test('10012 without yeep.user.write; 10000 without credentials', async () => {
        const { user, auth } = await userWithToken();
        const body = newUserBody();
        assertRpcError(
          await rpc(server, 'user.create', body, auth),
          10012,
          `User "${user.id}" does not have sufficient permissions to access this resource`,
        );
        assertRpcError(await rpc(server, 'user.create', body), 10000);
        // Nothing was created.
        assertRpcError(
          await rpc(server, 'session.issueToken', { user: body.username, password: body.password }),
          10002,
        );
      });

      test('10004 unless exactly one email is primary', async () => {
        const none = newUserBody();
        none.emails[0]!.isPrimary = false;
        assertRpcError(await rpc(server, 'user.create', none, asAdmin()), 10004);
        const two = newUserBody();
        (two.emails[1] as { isPrimary?: boolean }).isPrimary = true;
        assertRpcError(await rpc(server, 'user.create', two, asAdmin()), 10004);
      });

      test('10005 for an email address already in use (any case) or listed twice', async () => {
        const existing = await seedUser(server);
        const taken = newUserBody();
        taken.emails[1]!.address = existing.emails[0]!.address.toUpperCase();
        assertRpcError(await rpc(server, 'user.create', taken, asAdmin()), 10005);
        const twice = newUserBody();
        twice.emails[1]!.address = twice.emails[0]!.address.toUpperCase();
        assertRpcError(await rpc(server, 'user.create', twice, asAdmin()), 10005);
        // Neither attempt left a user behind.
        assertRpcError(
          await rpc(server, 'session.issueToken', { user: taken.username, password: taken.password }),
          10002,
        );
      });

      test('10006 for a username already in use (any case)', async () => {
        const existing = await seedUser(server);
        const body = newUserBody();
        body.username = existing.username!.toUpperCase();
        assertRpcError(await rpc(server, 'user.create', body, asAdmin()), 10006);
      });

      test('10014 for a reserved or malformed username', async () => {
        for (const username of ['admin', 'Root', 'latchkey', 'has space', 'semi;colon', 'ünïcode']) {
          const body = newUserBody();
          body.username = username;
          assertRpcError(await rpc(server, 'user.create', body, asAdmin()), 10014, new RegExp(username));
        }
      });

      test('400 for invalid bodies', async () => {
        const missingEmails: Record<string, unknown> = newUserBody();
        delete missingEmails['emails'];
        const d1 = assertInvalidBody(await rpc(server, 'user.create', missingEmails, asAdmin()));
        assert.deepEqual(d1[0]!.path, ['emails']);
        assert.equal(d1[0]!.type, 'any.required');
        const unknown = assertInvalidBody(
          await rpc(server, 'user.create', { ...newUserBody(), isAdmin: true }, asAdmin()),
        );
        assert.deepEqual(unknown[0]!.path, ['isAdmin']);
        assert.equal(unknown[0]!.type, 'object.allowUnknown');
        const short = assertInvalidBody(
          await rpc(server, 'user.create', { ...newUserBody(), password: 'short' }, asAdmin()),
        );
        assert.deepEqual(short[0]!.path, ['password']);
        assert.equal(short[0]!.type, 'string.min');
        assertRpcError(
          await rpc(server, 'user.create', { ...newUserBody(), password: 'password1' }, asAdmin()),
          400,
          'Password is too common; choose another',
        );
        const emailKey = newUserBody();
        (emailKey.emails[0] as Record<string, unknown>)['verified'] = true;
        assert.deepEqual(assertInvalidBody(await rpc(server, 'user.create', emailKey, asAdmin()))[0]!.path, [
          'emails',
          0,
          'verified',
        ]);
        assertInvalidBody(await rpc(server, 'user.create', { ...newUserBody(), emails: [] }, asAdmin()));
        assertInvalidBody(
          await rpc(server, 'user.create', { ...newUserBody(), picture: 'javascript:alert(1)' }, asAdmin()),
        );
        assertInvalidBody(await rpc(server, 'user.create', { ...newUserBody(), fullName: 7 }, asAdmin()));
        // Domain-level 400s keep the envelope.
        const noUsername: Record<string, unknown> = newUserBody();
        delete noUsername['username'];
        assertRpcError(await rpc(server, 'user.create', noUsername, asAdmin()), 400, 'Username is required');
        const badEmail = newUserBody();
        badEmail.emails[1]!.address = 'not an email';
        assertRpcError(await rpc(server, 'user.create', badEmail, asAdmin()), 400);
        // An org that does not exist: 10011, and no user is created.
        const withUnknownOrg = { ...newUserBody(), orgs: ['a'.repeat(24)] };
        assertRpcError(await rpc(server, 'user.create', withUnknownOrg, asAdmin()), 10011);
        assert.equal(
          await server.services.repos.users.findByLogin(
            server.services.defaultApp.id,
            withUnknownOrg.username,
          ),
          null,
        );
      });
    });

    // -------------------------------------------------------------- user.update

    describe('user.update', () => {
      test('self updates fullName, picture and username without a second factor', async () => {
        const { user, auth } = await userWithToken();
        const newName = `${uniqueTag()}_renamed`;
        const res = await rpc(
          server,
          'user.update',
          { id: user.id, fullName: 'Changed', picture: 'http://example.com/p.jpg', username: newName },
          auth,
        );
        assert.deepEqual(assertOk(res)['user'], {
          id: user.id,
          username: newName,
          fullName: 'Changed',
          picture: 'http://example.com/p.jpg',
          emails: [{ address: user.emails[0]!.address, isVerified: true, isPrimary: true }],
        });
        const removed = await rpc(server, 'user.update', { id: user.id, picture: null }, auth);
        assert.equal((assertOk(removed)['user'] as PresentedUser).picture, null);
        const info = assertOk(await rpc(server, 'user.info', {}, auth))['user'] as PresentedUser;
        assert.equal(info.username, newName);
        assert.equal(info.fullName, 'Changed');
        assert.equal(info.picture, null);
        await signIn(server, newName, user.password);
      });

      test('another user needs yeep.user.write (10012); the admin may; unknown id is 10001', async () => {
        const a = await userWithToken();
        const b = await userWithToken();
        assertRpcError(
          await rpc(server, 'user.update', { id: b.user.id, fullName: 'Hacked' }, a.auth),
          10012,
        );
        const info = assertOk(await rpc(server, 'user.info', {}, b.auth))['user'] as PresentedUser;
        assert.equal(info.fullName, null, 'unchanged');
        const byAdmin = await rpc(
          server,
          'user.update',
          { id: b.user.id, fullName: 'Set by admin' },
          asAdmin(),
        );
        assert.equal((assertOk(byAdmin)['user'] as PresentedUser).fullName, 'Set by admin');
        assertRpcError(await rpc(server, 'user.update', { id: ID_OF_NOBODY, fullName: 'x' }, a.auth), 10001);
        assertRpcError(
          await rpc(server, 'user.update', { id: ID_OF_NOBODY, fullName: 'x' }, asAdmin()),
          10001,
        );
      });

      test('400: nothing to update, unknown keys, wrong types', async () => {
        const { user, auth } = await userWithToken();
        const nothing = {
          message: '"value" must contain at least one of [username, password, fullName, picture, emails]',
          path: [],
          type: 'object.missing',
          context: { peers: ['username', 'password', 'fullName', 'picture', 'emails'], label: 'value' },
        };
        assert.deepEqual(assertInvalidBody(await rpc(server, 'user.update', { id: user.id }, auth)), [
          nothing,
        ]);
        const factorOnly = await rpc(
          server,
          'user.update',
          { id: user.id, secondaryAuthFactor: { type: 'PASSWORD', token: user.password } },
          auth,
        );
        assert.deepEqual(assertInvalidBody(factorOnly), [nothing]);
        // Another user's id: still the body error, whoever asks.
        assert.deepEqual(assertInvalidBody(await rpc(server, 'user.update', { id: adminId }, auth)), [
          nothing,
        ]);
        assert.deepEqual(
          assertInvalidBody(await rpc(server, 'user.update', { id: user.id, nickname: 'x' }, auth))[0]!.path,
          ['nickname'],
        );
        assert.deepEqual(
          assertInvalidBody(await rpc(server, 'user.update', { id: user.id, fullName: 1 }, auth))[0]!.path,
          ['fullName'],
        );
        assert.deepEqual(
          assertInvalidBody(await rpc(server, 'user.update', { fullName: 'x' }, auth))[0]!.path,
          ['id'],
        );
        assertInvalidBody(
          await rpc(
            server,
            'user.update',
            { id: user.id, secondaryAuthFactor: { type: 'SMS', token: 'x' } },
            auth,
          ),
        );
      });

      test('10006 and 10014 for usernames, 10005 and 10004 for emails', async () => {
        const { user, auth } = await userWithToken();
        const other = await seedUser(server);
        assertRpcError(
          await rpc(server, 'user.update', { id: user.id, username: other.username!.toUpperCase() }, auth),
          10006,
        );
        assertRpcError(await rpc(server, 'user.update', { id: user.id, username: 'admin' }, auth), 10014);
        assertRpcError(await rpc(server, 'user.update', { id: user.id, username: 'bad name' }, auth), 10014);
        const factor = { type: 'PASSWORD', token: user.password };
        assertRpcError(
          await rpc(
            server,
            'user.update',
            {
              id: user.id,
              emails: [
                { address: user.emails[0]!.address, isVerified: true, isPrimary: true },
                { address: other.emails[0]!.address },
              ],
              secondaryAuthFactor: factor,
            },
            auth,
          ),
          10005,
        );
        // Two primaries.
        assertRpcError(
          await rpc(
            server,
            'user.update',
            {
              id: other.id,
              emails: [
                { address: other.emails[0]!.address, isVerified: true, isPrimary: true },
                { address: `${uniqueTag()}@example.com`, isVerified: true, isPrimary: true },
              ],
            },
            asAdmin(),
          ),
          10004,
        );
        // Self may not make an unverified address primary.
        assertRpcError(
          await rpc(
            server,
            'user.update',
            {
              id: user.id,
              emails: [
                { address: user.emails[0]!.address, isVerified: true },
                { address: `${uniqueTag()}@example.com`, isPrimary: true },
              ],
              secondaryAuthFactor: factor,
            },
            auth,
          ),
          10004,
        );
        // Nothing changed.
        const info = assertOk(await rpc(server, 'user.info', {}, auth))['user'] as PresentedUser;
        assert.equal(info.username, user.username);
        assert.deepEqual(info.emails, [
          { address: user.emails[0]!.address, isVerified: true, isPrimary: true },
        ]);
      });

      test('only an administrator may mark an address verified', async () => {
        const { user, auth } = await userWithToken();
        const added = `${uniqueTag()}@example.com`;
        const emails = [
          { address: user.emails[0]!.address, isVerified: true, isPrimary: true },
          { address: added, isVerified: true },
        ];
        assertRpcError(
          await rpc(
            server,
            'user.update',
            { id: user.id, emails, secondaryAuthFactor: { type: 'PASSWORD', token: user.password } },
            auth,
          ),
          400,
          'Only an administrator may mark an email address verified',
        );
        const byAdmin = await rpc(server, 'user.update', { id: user.id, emails }, asAdmin());
        assert.deepEqual((assertOk(byAdmin)['user'] as PresentedUser).emails, [
          { address: user.emails[0]!.address, isVerified: true, isPrimary: true },
          { address: added, isVerified: true, isPrimary: false },
        ]);
      });

      test('self adds an unverified address with the current password', async () => {
        const { user, auth } = await userWithToken();
        const added = `${uniqueTag()}@example.com`;
        const emails = [
          { address: user.emails[0]!.address, isVerified: true, isPrimary: true },
          { address: added },
        ];
        assertRpcError(await rpc(server, 'user.update', { id: user.id, emails }, auth), 10034);
        const res = await rpc(
          server,
          'user.update',
          { id: user.id, emails, secondaryAuthFactor: { type: 'PASSWORD', token: user.password } },
          auth,
        );
        assert.deepEqual((assertOk(res)['user'] as PresentedUser).emails[1], {
          address: added,
          isVerified: false,
          isPrimary: false,
        });
        await signIn(server, added, user.password);
      });

      test('changing your own password: 10034 without a factor, 10035 with a wrong one, 10033 with an absent type', async () => {
        const { user, auth } = await userWithToken();
        const body = { id: user.id, password: 'a brand new password' };
        const missing = await rpc(server, 'user.update', body, auth);
        assertRpcError(missing, 10034);
        assert.deepEqual(missing.body.error?.['applicableAuthFactorTypes'], ['PASSWORD']);
        assertRpcError(
          await rpc(
            server,
            'user.update',
            { ...body, secondaryAuthFactor: { type: 'PASSWORD', token: 'not my password' } },
            auth,
          ),
          10035,
        );
        assertRpcError(
          await rpc(
            server,
            'user.update',
            { ...body, secondaryAuthFactor: { type: 'TOTP', token: '123456' } },
            auth,
          ),
          10033,
        );
        // None of the attempts changed the password.
        await signIn(server, user.username!, user.password);
        assertRpcError(
          await rpc(server, 'session.issueToken', { user: user.username, password: body.password }),
          10002,
        );
        // A too-short new password is refused by the schema.
        assertInvalidBody(
          await rpc(
            server,
            'user.update',
            {
              id: user.id,
              password: 'short',
              secondaryAuthFactor: { type: 'PASSWORD', token: user.password },
            },
            auth,
          ),
        );
      });

      test("a password change revokes the user's other sessions but keeps the caller's", async () => {
        const { user, token: caller, auth } = await userWithToken();
        const other = await signIn(server, user.username!, user.password);
        const { cookie } = await signInCookie(server, user.username!, user.password);
        const unrelated = await userWithToken();
        const newPassword = 'my new password, long';
        const res = await rpc(
          server,
          'user.update',
          {
            id: user.id,
            password: newPassword,
            secondaryAuthFactor: { type: 'PASSWORD', token: user.password },
          },
          auth,
        );
        assertOk(res);
        assertOk(await rpc(server, 'user.info', {}, auth));
        assertOk(await rpc(server, 'session.refreshToken', { token: caller }));
        assertRpcError(await rpc(server, 'user.info', {}, bearer(other)), 10000);
        assertRpcError(await rpc(server, 'session.refreshToken', { token: other }), 10027);
        assertRpcError(await rpc(server, 'user.info', {}, cookieHeader(cookie)), 10000);
        assertOk(await rpc(server, 'user.info', {}, unrelated.auth));
        assertRpcError(
          await rpc(server, 'session.issueToken', { user: user.username, password: user.password }),
          10002,
        );
        await signIn(server, user.username!, newPassword);
      });

      test("an admin changes another user's password without a factor, ending all their sessions", async () => {
        const { user, token } = await userWithToken();
        const newPassword = 'set by the administrator';
        assertOk(await rpc(server, 'user.update', { id: user.id, password: newPassword }, asAdmin()));
        assertRpcError(await rpc(server, 'user.info', {}, bearer(token)), 10000);
        assertRpcError(await rpc(server, 'session.refreshToken', { token }), 10027);
        assertOk(await rpc(server, 'user.info', {}, asAdmin()));
        await signIn(server, user.username!, newPassword);
      });

      test('an admin changing their own password still needs the factor', async () => {
        const admin = await seedUser(server, { superuser: true });
        const token = await signIn(server, admin.username!, admin.password);
        assertRpcError(
          await rpc(server, 'user.update', { id: admin.id, password: 'another password!' }, bearer(token)),
          10034,
        );
      });
    });

    // -------------------------------------------------------------- user.delete

    describe('user.delete', () => {
      test('an admin deletes a user: their tokens and cookies stop at once', async () => {
        const { user, token } = await userWithToken();
        const { cookie } = await signInCookie(server, user.username!, user.password);
        assert.deepEqual(assertOk(await rpc(server, 'user.delete', { id: user.id }, asAdmin())), {
          ok: true,
        });
        assertRpcError(await rpc(server, 'user.info', {}, bearer(token)), 10000);
        assertRpcError(await rpc(server, 'user.info', {}, cookieHeader(cookie)), 10000);
        assertRpcError(await rpc(server, 'session.refreshToken', { token }), 10027);
        assertRpcError(await rpc(server, 'user.info', { id: user.id }, asAdmin()), 10001);
        assertRpcError(
          await rpc(server, 'session.issueToken', { user: user.username, password: user.password }),
          10002,
        );
        assertRpcError(await rpc(server, 'user.delete', { id: user.id }, asAdmin()), 10001);
        // The username and address are free again.
        const again = await rpc(
          server,
          'user.create',
          {
            username: user.username,
            password: 'password-123',
            emails: [{ address: user.emails[0]!.address, isPrimary: true }],
          },
          asAdmin(),
        );
        assertOk(again);
      });

      test('self-deletion; another user needs yeep.user.write (10012)', async () => {
        const a = await userWithToken();
        const b = await userWithToken();
        assertRpcError(await rpc(server, 'user.delete', { id: b.user.id }, a.auth), 10012);
        assertOk(await rpc(server, 'user.info', {}, b.auth));
        assertOk(await rpc(server, 'user.delete', { id: a.user.id }, a.auth));
        assertRpcError(await rpc(server, 'user.info', {}, a.auth), 10000);
        assertRpcError(await rpc(server, 'user.delete', { id: ID_OF_NOBODY }, b.auth), 10001);
        assertRpcError(await rpc(server, 'user.delete', { id: b.user.id }), 10000);
        assertInvalidBody(await rpc(server, 'user.delete', {}, b.auth));
        assertInvalidBody(await rpc(server, 'user.delete', { id: b.user.id, force: true }, b.auth));
      });
    });

    // ------------------------------------------------------------------ user.list

    describe('user.list', () => {
      async function createTagged(tag: string, count: number) {
        const ids: string[] = [];
        for (let i = 0; i < count; i++) {
          const u = await seedUser(server, { username: `${tag}${i}`, email: `${tag}.${i}@example.com` });
          ids.push(u.id);
        }
        return ids;
      }
      const sorted = (ids: string[]) => [...ids].sort();

      test('pages through users with limit and cursor', async () => {
        const tag = uniqueTag();
        const ids = await createTagged(tag, 5);
        const seen: string[] = [];
        let cursor: string | undefined;
        let pages = 0;
        do {
          const res = await rpc(
            server,
            'user.list',
            { q: tag, limit: 2, ...(cursor ? { cursor } : {}) },
            asAdmin(),
          );
          const body = assertOk(res);
          const users = body['users'] as PresentedUser[];
          assert.ok(users.length <= 2);
          seen.push(...users.map((u) => u.id));
          cursor = body['nextCursor'] as string | undefined;
          if (cursor !== undefined) {
            assert.equal(users.length, 2);
            assert.deepEqual(JSON.parse(Buffer.from(cursor, 'base64').toString()), { id: users.at(-1)!.id });
          }
          pages++;
        } while (cursor && pages < 10);
        assert.equal(pages, 3);
        assert.deepEqual(seen, sorted(ids), 'every user once, in id order');
        // Exactly one page's worth: no cursor.
        const whole = assertOk(await rpc(server, 'user.list', { q: tag, limit: 5 }, asAdmin()));
        assert.equal((whole['users'] as PresentedUser[]).length, 5);
        assert.equal(whole['nextCursor'], undefined);
        // The default limit covers them all.
        const all = assertOk(await rpc(server, 'user.list', { q: tag }, asAdmin()));
        assert.deepEqual(
          (all['users'] as PresentedUser[]).map((u) => u.id),
          sorted(ids),
        );
      });

      test('users are presented like user.info, projection included', async () => {
        const tag = uniqueTag();
        const [id] = await createTagged(tag, 1);
        const listed = assertOk(await rpc(server, 'user.list', { q: tag }, asAdmin()))[
          'users'
        ] as PresentedUser[];
        const info = assertOk(await rpc(server, 'user.info', { id }, asAdmin()))['user'];
        assert.deepEqual(listed, [info]);
        const projected = assertOk(
          await rpc(
            server,
            'user.list',
            { q: tag, projection: { emails: false, createdAt: false } },
            asAdmin(),
          ),
        )['users'] as Array<Record<string, unknown>>;
        assert.deepEqual(Object.keys(projected[0]!).sort(), [
          'fullName',
          'id',
          'orgs',
          'picture',
          'updatedAt',
          'username',
        ]);
      });

      test('q is a case-insensitive prefix of username or email', async () => {
        const tag = uniqueTag();
        const ids = await createTagged(tag, 3);
        const byUpper = assertOk(await rpc(server, 'user.list', { q: tag.toUpperCase() }, asAdmin()));
        assert.deepEqual(
          (byUpper['users'] as PresentedUser[]).map((u) => u.id),
          sorted(ids),
        );
        const byEmail = assertOk(await rpc(server, 'user.list', { q: `${tag}.1@` }, asAdmin()));
        assert.deepEqual(
          (byEmail['users'] as PresentedUser[]).map((u) => u.id),
          [ids[1]],
        );
        // A prefix, not a substring.
        const inner = assertOk(await rpc(server, 'user.list', { q: tag.slice(1) }, asAdmin()));
        assert.deepEqual(inner['users'], []);
      });

      test("'%' and '_' in q match themselves, not any character", async () => {
        const tag = uniqueTag();
        const underscore = await seedUser(server, { username: `${tag}_x`, email: `${tag}.u@example.com` });
        const letter = await seedUser(server, { username: `${tag}ax`, email: `${tag}.l@example.com` });
        const percent = await seedUser(server, { username: `${tag}pct`, email: `${tag}%p@example.com` });
        const plain = await seedUser(server, { username: `${tag}plain`, email: `${tag}zp@example.com` });
        const list = async (q: string) =>
          (assertOk(await rpc(server, 'user.list', { q }, asAdmin()))['users'] as PresentedUser[]).map(
            (u) => u.id,
          );
        assert.deepEqual(await list(`${tag}_`), [underscore.id]);
        assert.deepEqual(await list(`${tag}%`), [percent.id]);
        assert.deepEqual(await list('%'), []);
        assert.deepEqual(await list('_'), []);
        assert.deepEqual((await list(tag)).sort(), [underscore.id, letter.id, percent.id, plain.id].sort());
        assert.deepEqual(await list(`${tag}\\`), [], 'a backslash is literal too');
      });

      test('a user without yeep.user.read sees no one (not even themselves)', async () => {
        const tag = uniqueTag();
        await createTagged(tag, 2);
        const { auth } = await userWithToken();
        const res = await rpc(server, 'user.list', { q: tag }, auth);
        assert.deepEqual(assertOk(res), { ok: true, users: [] });
        assert.deepEqual(assertOk(await rpc(server, 'user.list', {}, auth)), { ok: true, users: [] });
      });

      test('filtering by org: 10012 without yeep.user.read; with it, no user belongs to an unknown org', async () => {
        const tag = uniqueTag();
        await createTagged(tag, 2);
        const { auth } = await userWithToken();
        assertRpcError(await rpc(server, 'user.list', { org: 'a'.repeat(24) }, auth), 10012);
        // Whoever may read users everywhere learns that the org does not exist.
        assertRpcError(await rpc(server, 'user.list', { q: tag, org: 'a'.repeat(24) }, asAdmin()), 10011);
      });

      test("projection.permissions lists each user's permissions", async () => {
        const tag = uniqueTag();
        await createTagged(tag, 1);
        const res = await rpc(server, 'user.list', { q: tag, projection: { permissions: true } }, asAdmin());
        const users = assertOk(res)['users'] as PresentedUser[];
        assert.equal(users.length, 1);
        assert.deepEqual(users[0]!.permissions, []);
      });

      test('400 for a bad limit, cursor or key; 10000 without credentials', async () => {
        for (const body of [
          { limit: 0 },
          { limit: 501 },
          { limit: 1.5 },
          { limit: '10' },
          { cursor: '' },
          { q: '' },
          { sort: 'name' },
          { org: 'x' },
        ]) {
          assertInvalidBody(await rpc(server, 'user.list', body, asAdmin()));
        }
        for (const cursor of ['not base64 json', Buffer.from('{"id":"nope"}').toString('base64')]) {
          assertRpcError(await rpc(server, 'user.list', { cursor }, asAdmin()), 400, 'Invalid cursor');
        }
        assertRpcError(await rpc(server, 'user.list', {}), 10000);
      });
    });

    // ------------------------------------------------- user.activate / deactivate

    describe('user.deactivate and user.activate', () => {
      test('immediate deactivation revokes tokens and cookies; activation allows sign-in again', async () => {
        const { user, token } = await userWithToken();
        const { cookie } = await signInCookie(server, user.username!, user.password);
        const now = server.clock.now();
        const res = await rpc(server, 'user.deactivate', { id: user.id }, asAdmin());
        assert.deepEqual(assertOk(res)['user'], {
          id: user.id,
          deactivatedAt: new Date(now).toISOString(),
          updatedAt: new Date(now).toISOString(),
        });
        assertRpcError(await rpc(server, 'user.info', {}, bearer(token)), 10000);
        assertRpcError(await rpc(server, 'user.info', {}, cookieHeader(cookie)), 10000);
        assertRpcError(await rpc(server, 'session.refreshToken', { token }), 10027);
        assertRpcError(await rpc(server, 'session.refreshCookie', undefined, cookieHeader(cookie)), 10027);
        assertRpcError(
          await rpc(server, 'session.issueToken', { user: user.username, password: user.password }),
          10002,
        );

        server.clock.advance(5 * SECOND);
        const activated = await rpc(server, 'user.activate', { id: user.id }, asAdmin());
        assert.deepEqual(assertOk(activated)['user'], {
          id: user.id,
          deactivatedAt: null,
          updatedAt: new Date(now + 5 * SECOND).toISOString(),
        });
        const fresh = await signIn(server, user.username!, user.password);
        assertOk(await rpc(server, 'user.info', {}, bearer(fresh)));
        // Old sessions stay ended.
        assertRpcError(await rpc(server, 'user.info', {}, bearer(token)), 10000);
      });

      test('user.activate lets a user who awaits activation sign in', async () => {
        const tag = uniqueTag();
        const pending = await server.services.users.create(server.services.defaultApp.id, {
          username: tag,
          password: 'pending password',
          emails: [{ address: `${tag}@example.com`, isPrimary: true, isVerified: false }],
          isActive: false,
        });
        // Only the password holder learns why: still the sign-in code 10002.
        assertRpcError(
          await rpc(server, 'session.issueToken', { user: tag, password: 'pending password' }),
          10002,
        );
        assertRpcError(
          await rpc(server, 'session.setCookie', { user: tag, password: 'pending password' }),
          10002,
        );
        const res = await rpc(server, 'user.activate', { id: pending.id }, asAdmin());
        assert.equal((assertOk(res)['user'] as { deactivatedAt: null }).deactivatedAt, null);
        await signIn(server, tag, 'pending password');
      });

      test('deactivateAfterSeconds: tokens work until then and are refused after', async () => {
        const { user, token } = await userWithToken();
        const { cookie } = await signInCookie(server, user.username!, user.password);
        const now = server.clock.now();
        const res = await rpc(
          server,
          'user.deactivate',
          { id: user.id, deactivateAfterSeconds: 120 },
          asAdmin(),
        );
        assert.equal(
          (assertOk(res)['user'] as { deactivatedAt: string }).deactivatedAt,
          new Date(now + 120 * SECOND).toISOString(),
        );
        assertOk(await rpc(server, 'user.info', {}, bearer(token)));
        assertOk(await rpc(server, 'user.info', {}, cookieHeader(cookie)));
        // A token issued meanwhile ends with the deactivation, not 900 s later.
        const late = assertOk(
          await rpc(server, 'session.issueToken', { user: user.username, password: user.password }),
        );
        assert.equal(
          late['expiresAt'],
          new Date(Math.floor((now + 120 * SECOND) / 1000) * 1000).toISOString(),
        );
        const refreshed = assertOk(await rpc(server, 'session.refreshToken', { token }));
        assert.ok(Date.parse(refreshed['expiresAt'] as string) <= now + 120 * SECOND);
        server.clock.advance(119 * SECOND);
        assertOk(await rpc(server, 'user.info', {}, bearer(refreshed['token'] as string)));
        server.clock.advance(2 * SECOND);
        assertRpcError(await rpc(server, 'user.info', {}, bearer(token)), 10000);
        assertRpcError(await rpc(server, 'user.info', {}, cookieHeader(cookie)), 10000);
        assertRpcError(await rpc(server, 'user.info', {}, bearer(late['token'] as string)), 10000);
        assertRpcError(
          await rpc(server, 'session.refreshToken', { token: refreshed['token'] as string }),
          10027,
        );
        assertRpcError(
          await rpc(server, 'session.issueToken', { user: user.username, password: user.password }),
          10002,
        );
      });

      test('activating a user cancels a pending deactivation, sessions included', async () => {
        const { user, token } = await userWithToken();
        assertOk(
          await rpc(server, 'user.deactivate', { id: user.id, deactivateAfterSeconds: 120 }, asAdmin()),
        );
        const res = await rpc(server, 'user.activate', { id: user.id }, asAdmin());
        assert.equal((assertOk(res)['user'] as { deactivatedAt: null }).deactivatedAt, null);
        server.clock.advance(121 * SECOND);
        assertOk(await rpc(server, 'session.issueToken', { user: user.username, password: user.password }));
        assertOk(await rpc(server, 'user.info', {}, bearer(token)));
        assertOk(await rpc(server, 'session.refreshToken', { token }));
      });

      test('10012 without yeep.user.write, 10001 for an unknown id, 400 for bad bodies', async () => {
        const a = await userWithToken();
        const b = await userWithToken();
        for (const method of ['user.activate', 'user.deactivate']) {
          assertRpcError(await rpc(server, method, { id: b.user.id }, a.auth), 10012);
          assertRpcError(await rpc(server, method, { id: a.user.id }, a.auth), 10012, undefined);
          assertRpcError(await rpc(server, method, { id: ID_OF_NOBODY }, asAdmin()), 10001);
          assertRpcError(await rpc(server, method, { id: b.user.id }), 10000);
          assertInvalidBody(await rpc(server, method, {}, asAdmin()));
          assertInvalidBody(await rpc(server, method, { id: 'short' }, asAdmin()));
        }
        assertOk(await rpc(server, 'user.info', {}, b.auth));
        for (const deactivateAfterSeconds of [-1, 1.5, '60']) {
          assertInvalidBody(
            await rpc(server, 'user.deactivate', { id: b.user.id, deactivateAfterSeconds }, asAdmin()),
          );
        }
        assertInvalidBody(
          await rpc(server, 'user.activate', { id: b.user.id, deactivateAfterSeconds: 0 }, asAdmin()),
        );
        assertOk(await rpc(server, 'user.info', {}, b.auth));
      });
    });
    // ------------------------------------------------ permissions, read fresh

    describe('permissions are read from storage on every call', () => {
      test('yeep.user.read alone: read and list everyone, but write nothing', async () => {
        const reader = await userWithToken();
        const other = await userWithToken();
        await grantPermission(server, reader.user.id, 'yeep.user.read');
        // The token was issued before the grant: the grant still counts at once.
        const info = assertOk(await rpc(server, 'user.info', { id: other.user.id }, reader.auth));
        assert.equal((info['user'] as PresentedUser).id, other.user.id);
        const listed = assertOk(await rpc(server, 'user.list', { q: other.user.username! }, reader.auth));
        assert.deepEqual(
          (listed['users'] as PresentedUser[]).map((u) => u.id),
          [other.user.id],
        );
        // Permissions of others need yeep.permission.assignment.read.
        assertRpcError(
          await rpc(
            server,
            'user.info',
            { id: other.user.id, projection: { permissions: true } },
            reader.auth,
          ),
          10012,
        );
        assertRpcError(
          await rpc(
            server,
            'user.list',
            { q: other.user.username!, projection: { permissions: true } },
            reader.auth,
          ),
          10012,
        );
        assertRpcError(
          await rpc(server, 'user.update', { id: other.user.id, fullName: 'x' }, reader.auth),
          10012,
        );
        assertRpcError(await rpc(server, 'user.delete', { id: other.user.id }, reader.auth), 10012);
        assertRpcError(await rpc(server, 'user.deactivate', { id: other.user.id }, reader.auth), 10012);
        assertRpcError(await rpc(server, 'user.activate', { id: other.user.id }, reader.auth), 10012);
        assertRpcError(
          await rpc(
            server,
            'user.create',
            {
              username: uniqueTag(),
              password: 'password-123',
              emails: [{ address: `${uniqueTag()}@e.com`, isPrimary: true }],
            },
            reader.auth,
          ),
          10012,
        );
        // Own permissions, with the grant, in the reference shape.
        const own = assertOk(
          await rpc(server, 'user.info', { projection: { permissions: true } }, reader.auth),
        );
        const perms = (own['user'] as PresentedUser).permissions!;
        assert.equal(perms.length, 1);
        assert.deepEqual(
          { ...perms[0], id: undefined },
          {
            id: undefined,
            name: 'yeep.user.read',
            isSystemPermission: true,
            orgId: '',
            roleId: '',
            resourceId: '',
          },
        );
      });

      test('a grant scoped to an org is not a global one', async () => {
        const scoped = await userWithToken();
        const other = await userWithToken();
        await grantPermission(server, scoped.user.id, 'yeep.user.read', { orgId: 'b'.repeat(24) });
        await grantPermission(server, scoped.user.id, 'yeep.user.write', { orgId: 'b'.repeat(24) });
        assertRpcError(await rpc(server, 'user.info', { id: other.user.id }, scoped.auth), 10012);
        assert.deepEqual(assertOk(await rpc(server, 'user.list', {}, scoped.auth))['users'], []);
        assertRpcError(await rpc(server, 'user.deactivate', { id: other.user.id }, scoped.auth), 10012);
      });

      test('a granted permission with a resource shows resourceId in the token', async () => {
        const user = await seedUser(server);
        const id = await grantPermission(server, user.id, 'yeep.org.read', { resourceId: 'doc-42' });
        const token = await signIn(server, user.username!, user.password, {
          projection: { permissions: true },
        });
        assert.deepEqual((jwtPayload(token)['user'] as { permissions: unknown }).permissions, [
          {
            id,
            name: 'yeep.org.read',
            isSystemPermission: true,
            orgId: '',
            roleId: '',
            resourceId: 'doc-42',
          },
        ]);
      });

      test('losing a permission takes effect on the next call, whatever the token says', async () => {
        const admin2 = await seedUser(server, { superuser: true });
        const token = await signIn(server, admin2.username!, admin2.password, {
          projection: { permissions: true },
        });
        assert.ok((jwtPayload(token)['user'] as { permissions: unknown[] }).permissions.length > 0);
        assertOk(await rpc(server, 'user.list', {}, bearer(token)));
        await server.services.store.db.deleteFrom('role_grants').where('user_id', '=', admin2.id).execute();
        assert.deepEqual(assertOk(await rpc(server, 'user.list', {}, bearer(token)))['users'], []);
        const victim = await seedUser(server);
        assertRpcError(await rpc(server, 'user.deactivate', { id: victim.id }, bearer(token)), 10012);
      });
    });
  });
}
