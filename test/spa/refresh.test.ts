import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Config } from '../../src/config/config.js';
import { ConfigError, loadConfig } from '../../src/config/load.js';
import { spaSettings } from '../../src/config/spa.js';
import { backends } from '../helpers/backends.js';
import { seedUser, startTestServer, TEST_SECRET, type TestServer } from '../helpers/server.js';
import { fromManyClients } from '../rpc/support.js';
import {
  COOKIE,
  jwt,
  MINUTE,
  refreshCookie,
  SECOND,
  type SpaResponse,
  setCookieLines,
  signInSpa,
  spa,
  userInfoAccepts,
  withCookie,
} from './support.js';

const UNAUTHORIZED = { message: 'Unauthorized' };

function assertCleared(res: SpaResponse, path = '/', name = COOKIE): void {
  const cleared = refreshCookie(res, name);
  assert.ok(cleared, 'the cookie is cleared');
  assert.equal(cleared.value, '');
  assert.equal(cleared.maxAge, 0);
  assert.equal(cleared.expires?.getTime(), 0);
  // The same attributes it was set with, or the browser keeps the old one.
  assert.equal(cleared.path, path);
  assert.equal(cleared.httpOnly, true);
  assert.equal(cleared.sameSite, 'Lax');
}

for (const backend of await backends()) {
  describe(`spa /refresh and /logout (${backend.name})`, () => {
    let server: TestServer;
    let graceMs: number;
    before(async () => {
      server = fromManyClients(await startTestServer(backend));
      graceMs = server.config.refreshGraceSeconds * SECOND;
    });
    after(async () => server.close());

    test('/refresh answers a new access token for the same session and rotates the cookie', async () => {
      const user = await seedUser(server);
      const first = await signInSpa(server, user);
      server.clock.advance(MINUTE);
      const res = await spa(server, '/refresh', undefined, withCookie(first.refresh));
      assert.equal(res.status, 200, JSON.stringify(res.body));
      assert.deepEqual(Object.keys(res.body), ['accessToken']);
      const next = refreshCookie(res)!;
      assert.notEqual(next.value, first.refresh);
      assert.equal(next.httpOnly, true);
      assert.equal(next.secure, true);
      assert.equal(next.sameSite, 'Lax');
      assert.equal(next.path, '/');
      assert.equal(next.maxAge, server.config.spa.sessionTtlSeconds - 60, 'the session end does not move');
      const before = jwt(first.accessToken).payload;
      const after = jwt(res.body['accessToken'] as string).payload;
      assert.equal(after['sid'], before['sid']);
      assert.equal(after['sub'], user.id);
      assert.notEqual(after['jti'], before['jti']);
      assert.equal(await userInfoAccepts(server, res.body['accessToken'] as string), true);
      // The rotated cookie rotates in turn.
      const again = await spa(server, '/refresh', undefined, withCookie(next.value));
      assert.equal(again.status, 200);
    });

    test('several tabs refreshing one cookie at once all stay signed in, with one and the same successor', async () => {
      const user = await seedUser(server);
      const { refresh } = await signInSpa(server, user);
      const tabs = await Promise.all(
        Array.from({ length: 12 }, () => spa(server, '/refresh', undefined, withCookie(refresh))),
      );
      for (const tab of tabs) assert.equal(tab.status, 200, JSON.stringify(tab.body));
      const successors = new Set(tabs.map((t) => refreshCookie(t)!.value));
      assert.equal(successors.size, 1, 'every tab got the same successor');
      for (const tab of tabs)
        assert.equal(await userInfoAccepts(server, tab.body['accessToken'] as string), true);
      const [id] = refresh.split('.');
      const credential = await server.services.repos.sessions.findCredential(id!);
      const rows = await server.services.store.db
        .selectFrom('session_credentials')
        .select('id')
        .where('session_id', '=', credential!.sessionId)
        .execute();
      assert.equal(rows.length, 2, 'exactly one rotation committed');
      // A tab that is late but inside the grace window also gets that successor.
      server.clock.advance(graceMs - SECOND);
      const late = await spa(server, '/refresh', undefined, withCookie(refresh));
      assert.equal(late.status, 200);
      assert.equal(refreshCookie(late)!.value, [...successors][0]);
      // And the successor carries on.
      assert.equal((await spa(server, '/refresh', undefined, withCookie([...successors][0]!))).status, 200);
    });

    test('a rotated cookie replayed after the grace window revokes the whole session', async () => {
      const user = await seedUser(server);
      const { refresh: a } = await signInSpa(server, user);
      const rotated = await spa(server, '/refresh', undefined, withCookie(a));
      const b = refreshCookie(rotated)!.value;
      const access = rotated.body['accessToken'] as string;
      server.clock.advance(graceMs + SECOND);
      const replay = await spa(server, '/refresh', undefined, withCookie(a));
      assert.equal(replay.status, 401);
      assert.deepEqual(replay.body, UNAUTHORIZED);
      assertCleared(replay);
      // The thief's replay ended the session for everyone: the current cookie and the access token too.
      assert.equal((await spa(server, '/refresh', undefined, withCookie(b))).status, 401);
      assert.equal(await userInfoAccepts(server, access), false);
      const session = await server.services.repos.sessions.findSession(jwt(access).payload['sid'] as string);
      assert.equal(session?.revokeReason, 'refresh_reuse');
    });

    test('/refresh: a missing, malformed, unknown or wrong-secret cookie is 401; a wrong secret revokes nothing', async () => {
      const missing = await spa(server, '/refresh');
      assert.equal(missing.status, 401);
      assert.deepEqual(missing.body, UNAUTHORIZED);
      assert.equal(missing.headers['set-cookie'], undefined);
      const malformed = await spa(server, '/refresh', undefined, withCookie('not-a-refresh-token'));
      assert.equal(malformed.status, 401);
      assertCleared(malformed);
      const user = await seedUser(server);
      const { refresh, accessToken } = await signInSpa(server, user);
      const [id, secret] = refresh.split('.');
      for (const value of [
        `${'0'.repeat(24)}.${secret}`,
        `${id}.${'A'.repeat(43)}`,
        `${id}.${secret!.slice(0, 42)}B`,
      ]) {
        const res = await spa(server, '/refresh', undefined, withCookie(value));
        assert.equal(res.status, 401, value);
        assert.deepEqual(res.body, UNAUTHORIZED);
      }
      // Knowing a credential id is not enough to end someone's session.
      assert.equal(await userInfoAccepts(server, accessToken), true);
      assert.equal((await spa(server, '/refresh', undefined, withCookie(refresh))).status, 200);
    });

    test('refreshing never extends the session: access tokens and the cookie end with it', async () => {
      const user = await seedUser(server);
      const { refresh } = await signInSpa(server, user);
      const ttl = server.config.spa.sessionTtlSeconds * SECOND;
      server.clock.advance(ttl - 5 * MINUTE);
      const late = await spa(server, '/refresh', undefined, withCookie(refresh));
      assert.equal(late.status, 200);
      assert.equal(refreshCookie(late)!.maxAge, 5 * 60);
      const { payload } = jwt(late.body['accessToken'] as string);
      const session = await server.services.repos.sessions.findSession(payload['sid'] as string);
      assert.ok(
        (payload['exp'] as number) * SECOND <= session!.expiresAt,
        'the access token ends with the session',
      );
      server.clock.advance(5 * MINUTE);
      assert.equal(
        (await spa(server, '/refresh', undefined, withCookie(refreshCookie(late)!.value))).status,
        401,
      );
    });

    test('a deactivated or deleted user’s cookie no longer refreshes', async () => {
      const appId = server.services.defaultApp.id;
      const deactivated = await seedUser(server);
      const one = await signInSpa(server, deactivated);
      await server.services.users.deactivate(appId, deactivated.id, { context: undefined });
      assert.equal((await spa(server, '/refresh', undefined, withCookie(one.refresh))).status, 401);
      assert.equal(await userInfoAccepts(server, one.accessToken), false);
      const deleted = await seedUser(server);
      const two = await signInSpa(server, deleted);
      await server.services.users.delete(appId, deleted.id, undefined);
      assert.equal((await spa(server, '/refresh', undefined, withCookie(two.refresh))).status, 401);
    });

    test('/logout revokes the session: its access token is refused at once and its cookie no longer refreshes', async () => {
      const user = await seedUser(server);
      const { refresh, accessToken } = await signInSpa(server, user);
      const other = await signInSpa(server, user);
      const res = await spa(server, '/logout', undefined, withCookie(refresh));
      assert.equal(res.status, 200);
      assert.equal(res.raw.body, '', 'an empty body');
      assertCleared(res);
      const line = setCookieLines(res).find((l) => l.startsWith(`${COOKIE}=`))!;
      assert.match(line, /; Path=\/; /);
      assert.match(line, /; HttpOnly/);
      assert.match(line, /; Secure/);
      assert.match(line, /; SameSite=Lax/);
      assert.equal(
        await userInfoAccepts(server, accessToken),
        false,
        'refused at once, long before it expires',
      );
      const replay = await spa(server, '/refresh', undefined, withCookie(refresh));
      assert.equal(replay.status, 401);
      // Only that session: another sign-in of the same user goes on.
      assert.equal(await userInfoAccepts(server, other.accessToken), true);
      assert.equal((await spa(server, '/refresh', undefined, withCookie(other.refresh))).status, 200);
    });

    test('/logout with a rotated cookie still inside the grace window ends the session, successor included', async () => {
      const user = await seedUser(server);
      const { refresh: a } = await signInSpa(server, user);
      const b = refreshCookie(await spa(server, '/refresh', undefined, withCookie(a)))!.value;
      assert.equal((await spa(server, '/logout', undefined, withCookie(a))).status, 200);
      assert.equal((await spa(server, '/refresh', undefined, withCookie(b))).status, 401);
      assert.equal((await spa(server, '/refresh', undefined, withCookie(a))).status, 401);
    });

    test('/logout without a cookie, or with a bad one, is 200 with an empty body and clears it', async () => {
      for (const headers of [
        {} as Record<string, string>,
        withCookie('garbage'),
        withCookie(`${'0'.repeat(24)}.${'A'.repeat(43)}`),
        { 'content-type': 'application/json' },
      ]) {
        const res = await spa(server, '/logout', undefined, headers);
        assert.equal(res.status, 200);
        assert.equal(res.raw.body, '');
        assertCleared(res);
      }
      const withBody = await spa(server, '/logout', {});
      assert.equal(withBody.status, 200);
    });
  });

  describe(`spa dialect mounted under a prefix, with its own cookie settings (${backend.name})`, () => {
    let server: TestServer;
    before(async () => {
      server = fromManyClients(
        await startTestServer(backend, {
          overrides: {
            'spa.prefix': '/api/auth',
            'spa.cookie.name': 'rt',
            'spa.cookie.secure': false,
            'spa.cookie.sameSite': 'strict',
            'spa.accessTokenTtlSeconds': 120,
            'spa.sessionTtlSeconds': 3600,
          },
        }),
      );
    });
    after(async () => server.close());

    test('routes live under the prefix and the cookie’s Path is the prefix', async () => {
      const user = await seedUser(server);
      const res = await spa(server, '/login', { email: user.emails[0]!.address, password: user.password });
      assert.equal(res.status, 200);
      const cookie = refreshCookie(res, 'rt')!;
      assert.equal(cookie.path, '/api/auth');
      assert.notEqual(cookie.secure, true);
      assert.equal(cookie.sameSite, 'Strict');
      assert.equal(cookie.maxAge, 3600);
      const { payload } = jwt(res.body['accessToken'] as string);
      assert.equal((payload['exp'] as number) - (payload['iat'] as number), 120);
      const root = await server.inject({
        method: 'POST',
        url: '/login',
        headers: { 'content-type': 'application/json' },
        payload: '{}',
      });
      assert.equal(root.statusCode, 404);
      const refreshed = await spa(server, '/refresh', undefined, withCookie(cookie.value, 'rt'));
      assert.equal(refreshed.status, 200);
      const out = await spa(
        server,
        '/logout',
        undefined,
        withCookie(refreshCookie(refreshed, 'rt')!.value, 'rt'),
      );
      assert.equal(out.status, 200);
      const cleared = refreshCookie(out, 'rt')!;
      assert.equal(cleared.path, '/api/auth');
      assert.equal(cleared.sameSite, 'Strict');
      assert.equal(cleared.maxAge, 0);
    });
  });
}

describe('spa configuration is checked at start-up', () => {
  const load = (overrides: Record<string, unknown>): Config =>
    loadConfig({ env: {}, overrides: { secret: TEST_SECRET, dataDir: '/tmp', ...overrides } });
  const refused = (overrides: Record<string, unknown>, key: RegExp) =>
    assert.throws(
      () => spaSettings(load(overrides)),
      (err: unknown) => err instanceof ConfigError && key.test(err.message),
    );

  test('defaults', () => {
    const s = spaSettings(load({}));
    assert.equal(s.prefix, '');
    assert.deepEqual(s.cookie, { name: 'it24_refresh_token', path: '/', secure: true, sameSite: 'lax' });
    assert.equal(s.accessTokenTtlSeconds, 900);
    assert.equal(s.allowedOrigins.size, 0);
    assert.equal(s.ownOrigin, 'http://127.0.0.1:8080');
  });

  test('allowed origins: a JSON list or a comma-separated environment variable, origins only', () => {
    const fromList = spaSettings(
      load({ 'spa.allowedOrigins': ['https://app.example.com', 'http://127.0.0.1:5173/'] }),
    );
    assert.deepEqual([...fromList.allowedOrigins], ['https://app.example.com', 'http://127.0.0.1:5173']);
    const fromEnv = spaSettings(
      loadConfig({
        env: { LATCHKEY_SPA_ALLOWED_ORIGINS: 'https://a.example.com, https://b.example.com' },
        overrides: { secret: TEST_SECRET, dataDir: '/tmp' },
      }),
    );
    assert.deepEqual([...fromEnv.allowedOrigins], ['https://a.example.com', 'https://b.example.com']);
    for (const bad of [
      '*',
      'null',
      'https://app.example.com/path',
      'ftp://x.example.com',
      'https://u:p@x.example.com',
    ]) {
      refused({ 'spa.allowedOrigins': [bad] }, /spa\.allowedOrigins/);
    }
  });

  test('cookie rules browsers enforce are enforced at start-up', () => {
    refused({ 'spa.cookie.name': '__Secure-rt', 'spa.cookie.secure': false }, /spa\.cookie\.name/);
    refused({ 'spa.cookie.name': '__Host-rt', 'spa.prefix': '/auth' }, /spa\.cookie\.name/);
    refused({ 'spa.cookie.name': 'bad name;' }, /spa\.cookie\.name/);
    refused({ 'spa.cookie.sameSite': 'none', 'spa.cookie.secure': false }, /spa\.cookie\.sameSite/);
    refused({ 'spa.prefix': '/auth/' }, /spa\.prefix/);
    refused({ 'spa.prefix': 'auth' }, /spa\.prefix/);
    assert.equal(spaSettings(load({ 'spa.cookie.name': '__Host-rt' })).cookie.path, '/');
  });
});
