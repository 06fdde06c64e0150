import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { SYSTEM_PERMISSIONS } from '../../src/identity/system-permissions.js';
import { backends } from '../helpers/backends.js';
import { bearer, rpc, signIn } from '../helpers/rpc.js';
import { seedUser, startTestServer, type TestServer } from '../helpers/server.js';
import {
  assertInvalidBody,
  assertOk,
  assertRpcError,
  DAY,
  fromManyClients,
  jwtPayload,
  MINUTE,
  SECOND,
} from './support.js';

for (const backend of await backends()) {
  describe(`rpc session.* methods (${backend.name})`, () => {
    let server: TestServer;
    /** Past a bearer token's lifetime, clock skew included. */
    let pastExpiry: number;
    before(async () => {
      server = fromManyClients(await startTestServer(backend));
      pastExpiry = (server.config.bearerTtlSeconds + server.config.clockSkewSeconds + 1) * SECOND;
    });
    after(async () => server.close());

    test('issueToken: by email (any case), expiresAt = now + 900 s = exp', async () => {
      const user = await seedUser(server);
      const now = server.clock.now();
      const res = await rpc(server, 'session.issueToken', {
        user: user.emails[0]!.address.toUpperCase(),
        password: user.password,
      });
      const body = assertOk(res);
      assert.deepEqual(Object.keys(body).sort(), ['expiresAt', 'ok', 'token']);
      const expected = Math.floor((now + server.config.bearerTtlSeconds * SECOND) / 1000) * 1000;
      assert.equal(body['expiresAt'], new Date(expected).toISOString());
      const payload = jwtPayload(body['token'] as string);
      assert.equal(payload['exp'], expected / 1000);
      assert.equal(payload['sub'], user.id);
      assert.deepEqual(payload['user'], { id: user.id });
      assert.equal(res.headers['set-cookie'], undefined, 'issueToken sets no cookie');
    });

    test('issueToken: projection.profile puts the profile in the token', async () => {
      const user = await seedUser(server, { fullName: 'Wile E. Coyote' });
      const token = await signIn(server, user.username!, user.password, { projection: { profile: true } });
      assert.deepEqual(jwtPayload(token)['user'], {
        id: user.id,
        username: user.username,
        fullName: 'Wile E. Coyote',
        primaryEmail: user.emails[0]!.address,
      });
      // No fullName and no picture: both are omitted, not null.
      const bare = await seedUser(server);
      const t2 = await signIn(server, bare.username!, bare.password, { projection: { profile: true } });
      assert.deepEqual(jwtPayload(t2)['user'], {
        id: bare.id,
        username: bare.username,
        primaryEmail: bare.emails[0]!.address,
      });
    });

    test('issueToken: projection.permissions puts the reference-shaped permission list in the token', async () => {
      const admin = await seedUser(server, { superuser: true });
      const token = await signIn(server, admin.username!, admin.password, {
        projection: { permissions: true },
      });
      const user = jwtPayload(token)['user'] as { id: string; permissions: Array<Record<string, unknown>> };
      assert.deepEqual(Object.keys(user).sort(), ['id', 'permissions']);
      assert.equal(user.id, admin.id);
      const held = await server.services.authz.effective(server.services.defaultApp.id, admin.id);
      assert.equal(user.permissions.length, SYSTEM_PERMISSIONS.length);
      assert.deepEqual(
        user.permissions.map((p) => p['name']),
        [...SYSTEM_PERMISSIONS].sort(),
      );
      for (const p of user.permissions) {
        // Exactly the reference's keys: resourceId only when set.
        assert.deepEqual(Object.keys(p).sort(), ['id', 'isSystemPermission', 'name', 'orgId', 'roleId']);
        assert.match(p['id'] as string, /^[0-9a-f]{24}$/);
        assert.equal(p['isSystemPermission'], true);
        assert.equal(p['orgId'], '', 'global');
        assert.match(p['roleId'] as string, /^[0-9a-f]{24}$/, 'granted through the admin role');
        const match = held.find((h) => h.name === p['name']);
        assert.ok(match);
        assert.equal(p['id'], match.id);
        assert.equal(p['roleId'], match.roleId);
      }
      // Both projections together; a user without permissions gets an empty list.
      const plain = await seedUser(server);
      const t2 = await signIn(server, plain.username!, plain.password, {
        projection: { profile: true, permissions: true },
      });
      assert.deepEqual(jwtPayload(t2)['user'], {
        id: plain.id,
        username: plain.username,
        primaryEmail: plain.emails[0]!.address,
        permissions: [],
      });
    });

    test('issueToken: a TOTP factor sent for a user without MFA is ignored', async () => {
      const user = await seedUser(server);
      assertOk(
        await rpc(server, 'session.issueToken', {
          user: user.username,
          password: user.password,
          secondaryAuthFactor: { type: 'TOTP', token: '123456' },
        }),
      );
    });

    test('issueToken: 10002 for a wrong password, an unknown user and a deactivated user alike', async () => {
      const user = await seedUser(server);
      const wrong = await rpc(server, 'session.issueToken', { user: user.username, password: 'wrong-pass' });
      assertRpcError(wrong, 10002, 'Invalid user or password');
      const byEmail = await rpc(server, 'session.issueToken', {
        user: user.emails[0]!.address,
        password: 'wrong-pass',
      });
      assertRpcError(byEmail, 10002, 'Invalid user or password');
      const unknown = await rpc(server, 'session.issueToken', { user: 'nobody@example.com', password: 'x' });
      assertRpcError(unknown, 10002, 'Invalid user or password');
      // Passwords are not trimmed.
      const padded = await rpc(server, 'session.issueToken', {
        user: user.username,
        password: ` ${user.password} `,
      });
      assertRpcError(padded, 10002);
    });

    test('issueToken: 400 Invalid request body for missing, unknown and mistyped fields', async () => {
      const missing = assertInvalidBody(await rpc(server, 'session.issueToken', { user: 'someone' }));
      assert.deepEqual(missing[0], {
        message: '"password" is required',
        path: ['password'],
        type: 'any.required',
        context: { key: 'password', label: 'password' },
      });
      const unknown = assertInvalidBody(
        await rpc(server, 'session.issueToken', { user: 'someone', password: 'password1', remember: true }),
      );
      assert.deepEqual(unknown[0], {
        message: '"remember" is not allowed',
        path: ['remember'],
        type: 'object.allowUnknown',
        context: { key: 'remember', label: 'remember' },
      });
      const mistyped = assertInvalidBody(
        await rpc(server, 'session.issueToken', { user: 42, password: 'password1' }),
      );
      assert.deepEqual(mistyped[0]!.path, ['user']);
      assert.equal(mistyped[0]!.type, 'string.base');
      const nested = assertInvalidBody(
        await rpc(server, 'session.issueToken', {
          user: 'someone',
          password: 'password1',
          projection: { profile: 'yes' },
        }),
      );
      assert.deepEqual(nested[0]!.path, ['projection', 'profile']);
      assert.equal(nested[0]!.type, 'boolean.base');
      const nestedUnknown = assertInvalidBody(
        await rpc(server, 'session.issueToken', {
          user: 'someone',
          password: 'password1',
          projection: { roles: true },
        }),
      );
      assert.deepEqual(nestedUnknown[0]!.path, ['projection', 'roles']);
      assert.equal(nestedUnknown[0]!.type, 'object.allowUnknown');
      // The second factor of a sign-in is never the password.
      const password = assertInvalidBody(
        await rpc(server, 'session.issueToken', {
          user: 'someone',
          password: 'password1',
          secondaryAuthFactor: { type: 'PASSWORD', token: 'password1' },
        }),
      );
      assert.deepEqual(password[0]!.path, ['secondaryAuthFactor', 'type']);
      assert.equal(password[0]!.type, 'any.allowOnly');
      const short = assertInvalidBody(
        await rpc(server, 'session.issueToken', {
          user: 'someone',
          password: 'password1',
          secondaryAuthFactor: { type: 'TOTP', token: '123' },
        }),
      );
      assert.deepEqual(short[0]!.path, ['secondaryAuthFactor', 'token']);
      assertInvalidBody(await rpc(server, 'session.issueToken', {}));
      assertInvalidBody(await rpc(server, 'session.issueToken'));
    });

    test('a bearer token stays valid for its 900 s, then answers 401 "Session cookie has expired"', async () => {
      const user = await seedUser(server);
      const token = await signIn(server, user.username!, user.password);
      server.clock.advance((server.config.bearerTtlSeconds - 1) * SECOND);
      assertOk(await rpc(server, 'user.info', {}, bearer(token)));
      server.clock.advance(pastExpiry - (server.config.bearerTtlSeconds - 1) * SECOND);
      const res = await rpc(server, 'user.info', {}, bearer(token));
      assertRpcError(res, 401, 'Session cookie has expired');
      assert.equal(res.headers['set-cookie'], undefined, 'a bearer token is never renewed transparently');
      // Authentication precedes validation: an invalid body still gets the 401.
      assertRpcError(await rpc(server, 'user.info', { bogus: true }, bearer(token)), 401);
    });

    test('refreshToken: rotates, accepts an expired token and carries the projection over', async () => {
      const admin = await seedUser(server, { superuser: true, fullName: 'Acme Admin' });
      const token = await signIn(server, admin.username!, admin.password, {
        projection: { profile: true, permissions: true },
      });
      server.clock.advance(pastExpiry);
      const now = server.clock.now();
      const res = await rpc(server, 'session.refreshToken', { token });
      const body = assertOk(res);
      assert.deepEqual(Object.keys(body).sort(), ['expiresAt', 'ok', 'token']);
      const successor = body['token'] as string;
      assert.notEqual(successor, token);
      const payload = jwtPayload(successor);
      assert.equal(body['expiresAt'], new Date((payload['exp'] as number) * 1000).toISOString());
      assert.equal(payload['exp'], Math.floor((now + server.config.bearerTtlSeconds * SECOND) / 1000));
      assert.equal(payload['sid'], jwtPayload(token)['sid'], 'same session');
      assert.notEqual(payload['jti'], jwtPayload(token)['jti'], 'new credential');
      assert.deepEqual(payload['user'], jwtPayload(token)['user'], 'profile and permissions carried over');
      assertOk(await rpc(server, 'user.info', {}, bearer(successor)));
      // The values are re-read from storage, not copied from the old token.
      await server.services.users.update(
        server.services.defaultApp.id,
        admin.id,
        { fullName: 'Renamed' },
        { context: undefined },
      );
      const again = assertOk(await rpc(server, 'session.refreshToken', { token: successor }));
      assert.equal(
        (jwtPayload(again['token'] as string)['user'] as { fullName: string }).fullName,
        'Renamed',
      );
    });

    test('refreshToken: 10029 for tokens that cannot be verified', async () => {
      const user = await seedUser(server);
      const token = await signIn(server, user.username!, user.password);
      const [h, p, s] = token.split('.');
      const tamperedPayload = Buffer.from(
        JSON.stringify({ ...jwtPayload(token), sub: '0'.repeat(24) }),
      ).toString('base64url');
      for (const bad of ['garbage', `${h}.${tamperedPayload}.${s}`, `${h}.${p}.`, `${h}.${p}`, 'a.b.c']) {
        assertRpcError(
          await rpc(server, 'session.refreshToken', { token: bad }),
          10029,
          'Invalid session token; cannot be verified',
        );
      }
      // The genuine token still refreshes.
      assertOk(await rpc(server, 'session.refreshToken', { token }));
    });

    test('refreshToken: 10027 once the session is gone; 400 without a token', async () => {
      const user = await seedUser(server);
      const token = await signIn(server, user.username!, user.password);
      assertOk(await rpc(server, 'session.destroyToken', { token }));
      assertRpcError(
        await rpc(server, 'session.refreshToken', { token }),
        10027,
        'Authentication token does not exist or has already expired',
      );
      assert.deepEqual(assertInvalidBody(await rpc(server, 'session.refreshToken', {}))[0]!.path, ['token']);
      assert.deepEqual(assertInvalidBody(await rpc(server, 'session.refreshToken', { token: '' }))[0]!.path, [
        'token',
      ]);
      assertInvalidBody(await rpc(server, 'session.refreshToken', { token: 42 }));
      assertInvalidBody(await rpc(server, 'session.refreshToken', { token, extra: 1 }));
    });

    test('refreshToken: 10022 when the user is found deactivated while the session still lives', async () => {
      // Reachable only when a deactivation bypasses the session service (e.g. a direct
      // store write): UserService.deactivate revokes the sessions, which answers 10027 first.
      const user = await seedUser(server);
      const token = await signIn(server, user.username!, user.password);
      const now = server.clock.now();
      await server.services.repos.users.update(
        server.services.defaultApp.id,
        user.id,
        { deactivatedAt: now },
        now,
      );
      assertRpcError(await rpc(server, 'session.refreshToken', { token }), 10022);
    });

    test('destroyToken: {} for a live or an expired token, 10029 for a forged one, idempotent', async () => {
      const user = await seedUser(server);
      const token = await signIn(server, user.username!, user.password);
      server.clock.advance(pastExpiry);
      // The reference crashed (500) on an expired token; Latchkey signs it out.
      assert.deepEqual(assertOk(await rpc(server, 'session.destroyToken', { token })), { ok: true });
      assertRpcError(await rpc(server, 'session.refreshToken', { token }), 10027);
      assert.deepEqual(assertOk(await rpc(server, 'session.destroyToken', { token })), { ok: true });
      assertRpcError(await rpc(server, 'session.destroyToken', { token: 'garbage' }), 10029);
      assertInvalidBody(await rpc(server, 'session.destroyToken', {}));
      // A destroyed token's siblings in other sessions are untouched.
      const other = await signIn(server, user.username!, user.password);
      const third = await signIn(server, user.username!, user.password);
      assertOk(await rpc(server, 'session.destroyToken', { token: other }));
      assertRpcError(await rpc(server, 'user.info', {}, bearer(other)), 10000);
      assertOk(await rpc(server, 'user.info', {}, bearer(third)));
    });

    test('a session left idle past sessionIdleSeconds ends: its refresh is refused, on any node', async () => {
      const user = await seedUser(server);
      let token = await signIn(server, user.username!, user.password);
      const sid = jwtPayload(token)['sid'] as string;
      const idle = server.config.sessionIdleSeconds * SECOND;
      assert.equal(idle, 7 * DAY);
      // Each refresh starts the idle time again.
      for (let i = 0; i < 3; i++) {
        server.clock.advance(idle - MINUTE);
        token = assertOk(await rpc(server, 'session.refreshToken', { token }))['token'] as string;
      }
      server.clock.advance(idle + SECOND);
      assertRpcError(await rpc(server, 'session.refreshToken', { token }), 10027);
      const ended = (await server.services.repos.sessions.findSession(sid))!;
      assert.equal(ended.revokeReason, 'idle_timeout');
      // A credential this node does not remember (another node's, or after a restart) is read, and refused alike.
      const other = await signIn(server, user.username!, user.password);
      const otherSid = jwtPayload(other)['sid'] as string;
      server.clock.advance(idle + SECOND);
      const restarted = await startTestServer(backend, {
        databaseUrl: server.config.databaseUrl!,
        clock: server.clock,
      });
      try {
        assertRpcError(await rpc(restarted, 'session.refreshToken', { token: other }), 10027);
      } finally {
        await restarted.close();
      }
      assert.equal(
        (await server.services.repos.sessions.findSession(otherSid))!.revokeReason,
        'idle_timeout',
      );
    });

    test("a token is refused after the session's absolute lifetime, however often it was refreshed", async () => {
      const user = await seedUser(server);
      let token = await signIn(server, user.username!, user.password);
      const sid = jwtPayload(token)['sid'] as string;
      const end = (await server.services.repos.sessions.findSession(sid))!.expiresAt;
      assert.equal(end - server.clock.now(), server.config.sessionTtlSeconds * SECOND);
      // Refresh every 14 minutes for a while, then every few days, up to a minute before the end.
      for (let i = 0; i < 8; i++) {
        server.clock.advance(14 * MINUTE);
        token = assertOk(await rpc(server, 'session.refreshToken', { token }))['token'] as string;
      }
      while (server.clock.now() + 4 * DAY < end) {
        server.clock.advance(4 * DAY);
        const res = assertOk(await rpc(server, 'session.refreshToken', { token }));
        token = res['token'] as string;
        assert.ok(Date.parse(res['expiresAt'] as string) <= end);
      }
      server.clock.set(end - MINUTE);
      const last = assertOk(await rpc(server, 'session.refreshToken', { token }));
      token = last['token'] as string;
      assert.equal(jwtPayload(token)['sid'], sid);
      assert.equal(
        last['expiresAt'],
        new Date(Math.floor(end / 1000) * 1000).toISOString(),
        'the last token ends with its session, not 900 s later',
      );
      assertOk(await rpc(server, 'user.info', {}, bearer(token)));
      server.clock.set(end + (server.config.clockSkewSeconds + 1) * SECOND);
      assertRpcError(await rpc(server, 'user.info', {}, bearer(token)), 401, 'Session cookie has expired');
      assertRpcError(await rpc(server, 'session.refreshToken', { token }), 10027);
    });

    test('10000 for missing or invalid credentials, before the body is validated', async () => {
      const user = await seedUser(server);
      const token = await signIn(server, user.username!, user.password);
      const variants: Array<Record<string, string>> = [
        {},
        { authorization: 'Bearer' },
        { authorization: 'Bearer ' },
        { authorization: 'Bearer garbage' },
        { authorization: `Basic ${Buffer.from(`${user.username}:${user.password}`).toString('base64')}` },
        { authorization: token },
        { authorization: `Token ${token}` },
      ];
      for (const headers of variants) {
        for (const body of [{}, { bogus: true }, undefined]) {
          assertRpcError(
            await rpc(server, 'user.info', body, headers),
            10000,
            'Access denied; invalid or missing credentials',
          );
        }
      }
      assertOk(await rpc(server, 'user.info', {}, { authorization: `bearer ${token}` }));
    });
  });
}
