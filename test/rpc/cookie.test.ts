import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { backends } from '../helpers/backends.js';
import { bearer, rpc, signIn } from '../helpers/rpc.js';
import { seedUser, startTestServer, type TestServer } from '../helpers/server.js';
import {
  assertInvalidBody,
  assertOk,
  assertRpcError,
  authorizationCookie,
  cookieHeader,
  DAY,
  fromManyClients,
  jwtPayload,
  SECOND,
  sessionCookie,
  setCookieHeaders,
  signInCookie,
} from './support.js';

for (const backend of await backends()) {
  describe(`rpc session cookie (${backend.name})`, () => {
    let server: TestServer;
    /** Past the cookie JWT's lifetime, clock skew included. */
    let pastExpiry: number;
    before(async () => {
      server = fromManyClients(await startTestServer(backend));
      pastExpiry = (server.config.bearerTtlSeconds + server.config.clockSkewSeconds + 1) * SECOND;
    });
    after(async () => server.close());

    async function sessionEnd(jwt: string): Promise<number> {
      const session = await server.services.repos.sessions.findSession(jwtPayload(jwt)['sid'] as string);
      assert.ok(session);
      return session.expiresAt;
    }

    test('setCookie sets an HttpOnly, SameSite=Lax `session` cookie that expires with the session', async () => {
      const user = await seedUser(server);
      const startedAt = server.clock.now();
      const res = await rpc(server, 'session.setCookie', { user: user.username, password: user.password });
      const body = assertOk(res);
      assert.deepEqual(body['user'], { id: user.id }, 'projection defaults to false/false');
      assert.equal(body['token'], undefined, 'the JWT travels only in the cookie');
      const c = sessionCookie(res);
      assert.ok(c, 'a session cookie is set');
      assert.equal(c.httpOnly, true);
      assert.equal(c.sameSite, 'Lax');
      assert.equal(c.path, '/');
      assert.equal(c.domain, undefined, 'host-only unless configured');
      assert.notEqual(c.secure, true, 'Secure is off in this test configuration');
      const end = await sessionEnd(c.value);
      assert.equal(end, startedAt + server.config.sessionTtlSeconds * SECOND);
      assert.ok(c.expires instanceof Date);
      assert.equal(c.expires.getTime(), Math.floor(end / 1000) * 1000, 'Expires = the session end');
      assert.equal(c.maxAge, server.config.sessionTtlSeconds, 'Max-Age = the seconds left of the session');
      const line = setCookieHeaders(res).find((h) => h.startsWith('session='));
      assert.ok(line);
      assert.match(line, /; HttpOnly/);
      assert.match(line, /; SameSite=Lax/);
      // The cookie holds a cookie-kind JWT for this user.
      const payload = jwtPayload(c.value);
      assert.equal(payload['sub'], user.id);
      assert.deepEqual(payload['user'], { id: user.id });
    });

    test('setCookie with projection.profile answers with the profile', async () => {
      const user = await seedUser(server, { fullName: 'Wile E. Coyote' });
      const { res, cookie } = await signInCookie(
        server,
        user.emails[0]!.address.toUpperCase(),
        user.password,
        {
          projection: { profile: true },
        },
      );
      const expected = {
        id: user.id,
        username: user.username,
        fullName: 'Wile E. Coyote',
        primaryEmail: user.emails[0]!.address,
      };
      assert.deepEqual(res.body['user'], expected);
      assert.deepEqual(jwtPayload(cookie)['user'], expected);
    });

    test('setCookie with a wrong password sets no cookie (10002)', async () => {
      const user = await seedUser(server);
      const res = await rpc(server, 'session.setCookie', {
        user: user.username,
        password: 'not-the-password',
      });
      assertRpcError(res, 10002, 'Invalid user or password');
      assert.deepEqual(setCookieHeaders(res), []);
      const invalid = await rpc(server, 'session.setCookie', { user: user.username });
      assert.deepEqual(assertInvalidBody(invalid)[0]!.path, ['password']);
      assert.deepEqual(setCookieHeaders(invalid), []);
    });

    test('the cookie authenticates as `Cookie: session=` and as `Authorization: Cookie session=`', async () => {
      const user = await seedUser(server);
      const { cookie } = await signInCookie(server, user.username!, user.password);
      for (const headers of [
        cookieHeader(cookie),
        authorizationCookie(cookie),
        { authorization: `Cookie ${cookie}` },
        { cookie: `other=1; session=${cookie}; third=3` },
      ]) {
        const res = await rpc(server, 'user.info', {}, headers);
        const body = assertOk(res);
        assert.equal((body['user'] as { id: string }).id, user.id, JSON.stringify(headers));
        assert.deepEqual(setCookieHeaders(res), [], 'a live cookie is not renewed');
      }
      // A cookie header without the session cookie is no credential.
      assertRpcError(await rpc(server, 'user.info', {}, { cookie: 'other=1' }), 10000);
      assertRpcError(await rpc(server, 'user.info', {}, { authorization: 'Cookie other=1' }), 10000);
    });

    test('malformed or empty cookie values are refused as credentials, never a server error', async () => {
      const variants: Array<Record<string, string>> = [
        { authorization: 'Cookie session=%E0%A4%A' },
        { cookie: 'session=%E0%A4%A' },
        { authorization: 'Cookie session=' },
        { cookie: 'session=' },
        { authorization: 'Cookie =abc' },
        { authorization: 'Cookie ' },
      ];
      for (const headers of variants) {
        const res = await rpc(server, 'user.info', {}, headers);
        assertRpcError(res, 10000);
      }
      // Without a usable value there is no cookie to refresh or destroy.
      for (const headers of [{ authorization: 'Cookie session=' }, { cookie: 'session=' }] as Array<
        Record<string, string>
      >) {
        for (const method of ['session.refreshCookie', 'session.destroyCookie']) {
          assertRpcError(await rpc(server, method, undefined, headers), 401, 'Session cookie not specified');
        }
      }
      for (const headers of [
        { authorization: 'Cookie session=%E0%A4%A' },
        { cookie: 'session=%E0%A4%A' },
      ] as Array<Record<string, string>>) {
        assertRpcError(await rpc(server, 'session.refreshCookie', undefined, headers), 10029);
      }
    });

    test('the cookie wins over the Authorization header', async () => {
      const a = await seedUser(server);
      const b = await seedUser(server);
      const { cookie } = await signInCookie(server, a.username!, a.password);
      const token = await signIn(server, b.username!, b.password);
      const both = await rpc(server, 'user.info', {}, { ...cookieHeader(cookie), ...bearer(token) });
      assert.equal((assertOk(both)['user'] as { id: string }).id, a.id);
      // Even a bad cookie wins: the bearer token is not consulted.
      assertRpcError(
        await rpc(server, 'user.info', {}, { ...cookieHeader('garbage'), ...bearer(token) }),
        10000,
      );
    });

    test('a cookie JWT is no bearer token, and a bearer token is no cookie', async () => {
      const user = await seedUser(server);
      const { cookie } = await signInCookie(server, user.username!, user.password);
      const token = await signIn(server, user.username!, user.password);
      assertRpcError(await rpc(server, 'user.info', {}, bearer(cookie)), 10000);
      assertRpcError(await rpc(server, 'user.info', {}, cookieHeader(token)), 10000);
      assertRpcError(await rpc(server, 'session.refreshToken', { token: cookie }), 10029);
      assertRpcError(await rpc(server, 'session.refreshCookie', undefined, cookieHeader(token)), 10029);
    });

    test('destroyCookie clears the cookie with the same attributes and the old cookie is refused at once', async () => {
      const user = await seedUser(server);
      const { cookie, res: setRes } = await signInCookie(server, user.username!, user.password);
      const set = sessionCookie(setRes)!;
      const res = await rpc(server, 'session.destroyCookie', undefined, cookieHeader(cookie));
      assert.deepEqual(assertOk(res), { ok: true });
      const cleared = sessionCookie(res);
      assert.ok(cleared, 'destroyCookie sends a clearing Set-Cookie');
      assert.equal(cleared.value, '');
      assert.ok(cleared.expires instanceof Date && cleared.expires.getTime() <= 0, 'expires at the epoch');
      assert.equal(cleared.maxAge, 0);
      assert.equal(cleared.path, set.path);
      assert.equal(cleared.domain, set.domain);
      assert.equal(cleared.httpOnly, set.httpOnly);
      assert.equal(cleared.sameSite, set.sameSite);
      assert.equal(cleared.secure, set.secure);
      // Refused on the very next request, however it is presented, and it cannot be refreshed.
      assertRpcError(await rpc(server, 'user.info', {}, cookieHeader(cookie)), 10000);
      assertRpcError(await rpc(server, 'user.info', {}, authorizationCookie(cookie)), 10000);
      assertRpcError(await rpc(server, 'session.refreshCookie', undefined, cookieHeader(cookie)), 10027);
      // Idempotent: destroying again still clears the cookie and answers {}.
      const again = await rpc(server, 'session.destroyCookie', undefined, cookieHeader(cookie));
      assert.deepEqual(assertOk(again), { ok: true });
      assert.equal(sessionCookie(again)?.value, '');
    });

    test('destroyCookie accepts `Authorization: Cookie session=` and an expired cookie', async () => {
      const user = await seedUser(server);
      const first = await signInCookie(server, user.username!, user.password);
      assertOk(await rpc(server, 'session.destroyCookie', undefined, authorizationCookie(first.cookie)));
      assertRpcError(await rpc(server, 'user.info', {}, cookieHeader(first.cookie)), 10000);

      const second = await signInCookie(server, user.username!, user.password);
      server.clock.advance(pastExpiry);
      assertOk(await rpc(server, 'session.destroyCookie', undefined, cookieHeader(second.cookie)));
      // The session is gone: the expired cookie is no longer renewed.
      const after = await rpc(server, 'user.info', {}, cookieHeader(second.cookie));
      assertRpcError(after, 10000);
      assert.equal(sessionCookie(after), undefined);
    });

    test('destroyCookie with a forged cookie answers 10029 and still clears it', async () => {
      const res = await rpc(server, 'session.destroyCookie', undefined, cookieHeader('not.a.jwt'));
      assertRpcError(res, 10029, 'Invalid session token; cannot be verified');
      assert.equal(sessionCookie(res)?.value, '');
    });

    test('refreshCookie and destroyCookie without a cookie answer 401 "Session cookie not specified"', async () => {
      const user = await seedUser(server);
      const token = await signIn(server, user.username!, user.password);
      for (const method of ['session.refreshCookie', 'session.destroyCookie']) {
        const variants: Array<Record<string, string>> = [
          {},
          bearer(token),
          { authorization: 'Basic dXNlcjpwYXNz' },
          { cookie: 'x=1' },
        ];
        for (const headers of variants) {
          const res = await rpc(server, method, undefined, headers);
          assertRpcError(res, 401, 'Session cookie not specified');
          assert.equal(sessionCookie(res), undefined, `${method} must not touch cookies`);
        }
      }
      // The bearer session was not touched by destroyCookie.
      assertOk(await rpc(server, 'user.info', {}, bearer(token)));
    });

    test('refreshCookie returns {user}, rotates the cookie and keeps the session end', async () => {
      const user = await seedUser(server, { fullName: 'Road Runner' });
      const { cookie } = await signInCookie(server, user.username!, user.password, {
        projection: { profile: true },
      });
      const end = await sessionEnd(cookie);
      server.clock.advance(10 * SECOND);
      const res = await rpc(server, 'session.refreshCookie', undefined, cookieHeader(cookie));
      const body = assertOk(res);
      assert.deepEqual(body['user'], {
        id: user.id,
        username: user.username,
        fullName: 'Road Runner',
        primaryEmail: user.emails[0]!.address,
      });
      const renewed = sessionCookie(res);
      assert.ok(renewed);
      assert.notEqual(renewed.value, cookie);
      assert.notEqual(jwtPayload(renewed.value)['jti'], jwtPayload(cookie)['jti']);
      assert.equal(jwtPayload(renewed.value)['sid'], jwtPayload(cookie)['sid']);
      assert.equal(renewed.httpOnly, true);
      assert.equal(renewed.sameSite, 'Lax');
      assert.equal(
        renewed.expires?.getTime(),
        Math.floor(end / 1000) * 1000,
        'the session end does not move',
      );
      assert.equal(
        (assertOk(await rpc(server, 'user.info', {}, cookieHeader(renewed.value)))['user'] as { id: string })
          .id,
        user.id,
      );
      // The rotated cookie yields the same successor within the grace window, and is reuse after it.
      const replay = await rpc(server, 'session.refreshCookie', undefined, cookieHeader(cookie));
      assert.equal(sessionCookie(replay)?.value, renewed.value);
      server.clock.advance((server.config.refreshGraceSeconds + 1) * SECOND);
      assertRpcError(await rpc(server, 'session.refreshCookie', undefined, cookieHeader(cookie)), 10027);
      assertRpcError(await rpc(server, 'user.info', {}, cookieHeader(renewed.value)), 10000);
    });

    test('refreshCookie also accepts `Authorization: Cookie session=` and an expired cookie; no body keys', async () => {
      const user = await seedUser(server);
      const { cookie } = await signInCookie(server, user.username!, user.password);
      assertInvalidBody(await rpc(server, 'session.refreshCookie', { extra: true }, cookieHeader(cookie)));
      server.clock.advance(pastExpiry);
      const res = await rpc(server, 'session.refreshCookie', {}, authorizationCookie(cookie));
      assert.deepEqual(assertOk(res)['user'], { id: user.id });
      const renewed = sessionCookie(res)!.value;
      assertOk(await rpc(server, 'user.info', {}, cookieHeader(renewed)));
    });

    test('refreshCookie with a forged cookie answers 10029 and clears it', async () => {
      const user = await seedUser(server);
      const { cookie } = await signInCookie(server, user.username!, user.password);
      const [h, p] = cookie.split('.');
      const forged = `${h}.${p}.${Buffer.from('x'.repeat(64)).toString('base64url')}`;
      const res = await rpc(server, 'session.refreshCookie', undefined, cookieHeader(forged));
      assertRpcError(res, 10029);
      assert.equal(sessionCookie(res)?.value, '');
    });

    test('an expired cookie is renewed transparently while its session lives', async () => {
      const user = await seedUser(server);
      const { cookie } = await signInCookie(server, user.username!, user.password);
      const end = await sessionEnd(cookie);
      server.clock.advance(pastExpiry);
      const res = await rpc(server, 'user.info', {}, cookieHeader(cookie));
      assert.equal((assertOk(res)['user'] as { id: string }).id, user.id);
      const renewed = sessionCookie(res);
      assert.ok(renewed, 'a new Set-Cookie comes with the answer');
      assert.notEqual(renewed.value, cookie);
      assert.equal(renewed.httpOnly, true);
      assert.equal(renewed.sameSite, 'Lax');
      assert.equal(renewed.expires?.getTime(), Math.floor(end / 1000) * 1000);
      assert.ok((jwtPayload(renewed.value)['exp'] as number) * 1000 > server.clock.now());
      // The renewed cookie works as is (no further renewal).
      const next = await rpc(server, 'user.info', {}, cookieHeader(renewed.value));
      assertOk(next);
      assert.equal(sessionCookie(next), undefined);
      // Also through the Authorization header.
      const other = await signInCookie(server, user.username!, user.password);
      server.clock.advance(pastExpiry);
      const viaHeader = await rpc(server, 'user.info', {}, authorizationCookie(other.cookie));
      assertOk(viaHeader);
      assert.ok(sessionCookie(viaHeader)?.value);
    });

    test('an expired cookie is not renewed once its session ended (revoked or past 30 days)', async () => {
      const user = await seedUser(server);
      const revoked = await signInCookie(server, user.username!, user.password);
      const aged = await signInCookie(server, user.username!, user.password);
      assertOk(await rpc(server, 'session.destroyCookie', undefined, cookieHeader(revoked.cookie)));
      server.clock.advance(pastExpiry);
      const res = await rpc(server, 'user.info', {}, cookieHeader(revoked.cookie));
      assertRpcError(res, 10000);
      assert.equal(sessionCookie(res), undefined);
      server.clock.advance(server.config.sessionTtlSeconds * SECOND);
      const old = await rpc(server, 'user.info', {}, cookieHeader(aged.cookie));
      assertRpcError(old, 10000);
      assert.equal(sessionCookie(old), undefined);
    });

    test('a cookie stops at the session end even when renewed all along', async () => {
      const user = await seedUser(server);
      let { cookie } = await signInCookie(server, user.username!, user.password);
      const end = await sessionEnd(cookie);
      for (let day = 0; day < 29; day++) {
        server.clock.advance(DAY);
        const res = await rpc(server, 'user.info', {}, cookieHeader(cookie));
        assertOk(res);
        cookie = sessionCookie(res)!.value;
      }
      server.clock.set(end - 60 * SECOND);
      const last = await rpc(server, 'user.info', {}, cookieHeader(cookie));
      assertOk(last);
      cookie = sessionCookie(last)!.value;
      assert.ok((jwtPayload(cookie)['exp'] as number) * 1000 <= end, 'the JWT never outlives its session');
      server.clock.set(end + (server.config.clockSkewSeconds + 1) * SECOND);
      const after = await rpc(server, 'user.info', {}, cookieHeader(cookie));
      assertRpcError(after, 10000);
      assert.equal(sessionCookie(after), undefined);
      assertRpcError(await rpc(server, 'session.refreshCookie', undefined, cookieHeader(cookie)), 10027);
    });
  });

  describe(`rpc session cookie without auto-renew (${backend.name})`, () => {
    let server: TestServer;
    before(async () => {
      server = fromManyClients(await startTestServer(backend, { overrides: { 'cookie.autoRenew': false } }));
    });
    after(async () => server.close());

    test('an expired cookie answers 401 "Session cookie has expired"; refreshCookie renews it', async () => {
      const user = await seedUser(server);
      const { cookie } = await signInCookie(server, user.username!, user.password);
      server.clock.advance((server.config.bearerTtlSeconds + server.config.clockSkewSeconds + 1) * SECOND);
      const res = await rpc(server, 'user.info', {}, cookieHeader(cookie));
      assertRpcError(res, 401, 'Session cookie has expired');
      assert.equal(sessionCookie(res), undefined, 'not renewed');
      const refreshed = await rpc(server, 'session.refreshCookie', undefined, cookieHeader(cookie));
      const renewed = sessionCookie(refreshed);
      assertOk(refreshed);
      assert.ok(renewed?.value);
      assertOk(await rpc(server, 'user.info', {}, cookieHeader(renewed.value)));
    });
  });
}
