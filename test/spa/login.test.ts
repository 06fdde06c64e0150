import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { sha256Hex } from '../../src/shared/ids.js';
import { backends } from '../helpers/backends.js';
import { seedUser, startTestServer, type TestServer } from '../helpers/server.js';
import { fromManyClients } from '../rpc/support.js';
import {
  COOKIE,
  jwt,
  MINUTE,
  refreshCookie,
  SECOND,
  setCookieLines,
  signInSpa,
  spa,
  userInfoAccepts,
} from './support.js';

const CREDENTIALS = { message: 'Provided credentials do not match our records.' };
/** Headers that legitimately differ per response. */
const VOLATILE = new Set(['date', 'x-request-id', 'content-length']);

for (const backend of await backends()) {
  describe(`spa sign-in: /login, /login/alias, /login/token (${backend.name})`, () => {
    let server: TestServer;
    let appId: string;
    before(async () => {
      server = fromManyClients(await startTestServer(backend));
      appId = server.services.defaultApp.id;
    });
    after(async () => server.close());

    test('/login answers {accessToken} and sets the HttpOnly, Secure, SameSite=Lax refresh cookie', async () => {
      const user = await seedUser(server);
      const { accessToken, res } = await signInSpa(server, user);
      assert.deepEqual(Object.keys(res.body), ['accessToken']);
      assert.equal(res.headers['cache-control'], 'no-store');
      const cookie = refreshCookie(res)!;
      assert.equal(cookie.httpOnly, true);
      assert.equal(cookie.secure, true, 'Secure by default');
      assert.equal(cookie.sameSite, 'Lax');
      assert.equal(cookie.path, '/', 'at the root the narrowest path reaching /refresh and /logout is /');
      assert.equal(cookie.domain, undefined, 'host-only');
      assert.equal(cookie.maxAge, server.config.spa.sessionTtlSeconds);
      assert.match(cookie.value, /^[0-9a-f]{24}\.[A-Za-z0-9_-]{43}$/, 'opaque <id>.<secret>');
      const line = setCookieLines(res).find((l) => l.startsWith(`${COOKIE}=`))!;
      assert.match(line, /; HttpOnly/);
      assert.match(line, /; Secure/);
      assert.match(line, /; SameSite=Lax/);

      const { header, payload } = jwt(accessToken);
      assert.equal(header['typ'], 'spa-access+jwt');
      assert.equal(header['alg'], 'EdDSA');
      assert.equal(payload['sub'], user.id);
      assert.equal(payload['aud'], 'latchkey/default');
      assert.equal(payload['iss'], server.config.issuer);
      assert.equal((payload['exp'] as number) - (payload['iat'] as number), 900, 'default lifetime 15 min');
      assert.deepEqual(payload['amr'], ['pwd']);
      assert.equal(payload['survey'], undefined);
      assert.equal(typeof payload['jti'], 'string');

      // The session behind it is an spa session; only the SHA-256 of the cookie's secret is stored.
      const session = await server.services.repos.sessions.findSession(payload['sid'] as string);
      assert.equal(session?.kind, 'spa');
      assert.equal(session?.userId, user.id);
      assert.equal(session?.expiresAt, server.clock.now() + server.config.spa.sessionTtlSeconds * SECOND);
      const [id, secret] = cookie.value.split('.');
      const row = await server.services.store.db
        .selectFrom('session_credentials')
        .selectAll()
        .where('id', '=', id!)
        .executeTakeFirstOrThrow();
      assert.equal(row.secret_hash, sha256Hex(secret!));
      assert.ok(!JSON.stringify(row).includes(secret!), 'the secret itself is nowhere in the row');
    });

    test('the access token is a Bearer token for rpc user.info and, for an admin, the admin API', async () => {
      const user = await seedUser(server);
      const { accessToken } = await signInSpa(server, user);
      assert.equal(await userInfoAccepts(server, accessToken), true);
      const notAdmin = await server.inject({
        method: 'GET',
        url: '/admin/keys',
        headers: { authorization: `Bearer ${accessToken}` },
      });
      assert.equal(notAdmin.statusCode, 403);
      const admin = await seedUser(server, { superuser: true });
      const adminToken = (await signInSpa(server, admin)).accessToken;
      const keys = await server.inject({
        method: 'GET',
        url: '/admin/keys',
        headers: { authorization: `Bearer ${adminToken}` },
      });
      assert.equal(keys.statusCode, 200);
    });

    test('an access token expires after its lifetime (clock skew included)', async () => {
      const user = await seedUser(server);
      const { accessToken } = await signInSpa(server, user);
      server.clock.advance((900 + server.config.clockSkewSeconds - 1) * SECOND);
      assert.equal(await userInfoAccepts(server, accessToken), true);
      server.clock.advance(2 * SECOND);
      assert.equal(await userInfoAccepts(server, accessToken), false);
    });

    test('/login: bad input is 422 with express-validator’s mapped errors; a password is never echoed', async () => {
      const cases: Array<[unknown, Record<string, unknown>]> = [
        [
          {},
          {
            email: { msg: 'Email must be filled in.', param: 'email', location: 'body' },
            password: { msg: 'Password must be filled in.', param: 'password', location: 'body' },
          },
        ],
        [
          { email: 5, password: 7 },
          {
            email: { value: 5, msg: 'Email must be filled in.', param: 'email', location: 'body' },
            password: { msg: 'Password must be filled in.', param: 'password', location: 'body' },
          },
        ],
        [
          { email: '', password: 'secret-password' },
          { email: { value: '', msg: 'Email must be filled in.', param: 'email', location: 'body' } },
        ],
        [
          ['email', 'password'],
          {
            email: { msg: 'Email must be filled in.', param: 'email', location: 'body' },
            password: { msg: 'Password must be filled in.', param: 'password', location: 'body' },
          },
        ],
      ];
      for (const [body, errors] of cases) {
        const res = await spa(server, '/login', body);
        assert.equal(res.status, 422, JSON.stringify(body));
        assert.deepEqual(res.body, { success: false, errors }, JSON.stringify(body));
        assert.equal(refreshCookie(res), undefined);
      }
      // No body at all is "nothing filled in", too.
      const empty = await spa(server, '/login', undefined, { 'content-type': 'application/json' });
      assert.equal(empty.status, 422);
    });

    test('/login: unknown email, wrong password, deactivated and unactivated users fail alike (401, no cookie)', async () => {
      const known = await seedUser(server);
      const deactivated = await seedUser(server);
      await server.services.users.deactivate(appId, deactivated.id, { context: undefined });
      const waiting = await seedUser(server);
      await server.services.repos.users.update(appId, waiting.id, { isActive: false }, server.clock.now());
      const attempts = [
        { email: 'nobody-here@example.com', password: 'some password 1' },
        { email: known.emails[0]!.address, password: 'some password 1' },
        { email: deactivated.emails[0]!.address, password: deactivated.password },
        { email: waiting.emails[0]!.address, password: waiting.password },
      ];
      const responses = [];
      for (const body of attempts) responses.push(await spa(server, '/login', body));
      const first = responses[0]!;
      for (const res of responses) {
        assert.equal(res.status, 401);
        assert.deepEqual(res.body, CREDENTIALS);
        assert.equal(res.headers['set-cookie'], undefined);
        assert.deepEqual(
          Object.keys(res.headers)
            .filter((h) => !VOLATILE.has(h))
            .sort(),
          Object.keys(first.headers)
            .filter((h) => !VOLATILE.has(h))
            .sort(),
        );
        assert.equal(res.raw.body, first.raw.body);
      }
    });

    test('/login/alias signs in for its survey only, and the access token names the survey', async () => {
      const user = await seedUser(server);
      await server.services.spa.aliases.create(appId, {
        userId: user.id,
        surveyId: 'demo',
        userName: 'Resp-001',
      });
      const res = await spa(server, '/login/alias', {
        userName: 'resp-001',
        password: user.password,
        surveyId: 'demo',
      });
      assert.equal(res.status, 200, JSON.stringify(res.body));
      const { payload } = jwt(res.body['accessToken'] as string);
      assert.equal(payload['sub'], user.id);
      assert.equal(payload['survey'], 'demo');
      assert.deepEqual(payload['amr'], ['pwd']);
      assert.ok(refreshCookie(res)?.value);
      const session = await server.services.repos.sessions.findSession(payload['sid'] as string);
      assert.deepEqual(session?.data, { method: 'alias', surveyId: 'demo', amr: ['pwd'] });

      // The same name in another survey names nobody; a wrong password fails; all alike.
      await server.services.spa.aliases.create(appId, {
        userId: user.id,
        surveyId: 'other',
        userName: 'x-9',
      });
      for (const body of [
        { userName: 'resp-001', password: user.password, surveyId: 'other' },
        { userName: 'resp-001', password: 'wrong password!', surveyId: 'demo' },
        { userName: 'nobody', password: user.password, surveyId: 'demo' },
        { userName: 'resp-001', password: user.password, surveyId: '../demo' },
      ]) {
        const failed = await spa(server, '/login/alias', body);
        assert.equal(failed.status, 401, JSON.stringify(body));
        assert.deepEqual(failed.body, CREDENTIALS);
        assert.equal(failed.headers['set-cookie'], undefined);
      }
    });

    test('/login/alias: bad input is 422 naming each field', async () => {
      const res = await spa(server, '/login/alias', { userName: 'a', surveyId: ['demo'] });
      assert.equal(res.status, 422);
      assert.deepEqual(res.body, {
        success: false,
        errors: {
          password: { msg: 'Password must be filled in.', param: 'password', location: 'body' },
          surveyId: { value: ['demo'], msg: 'Survey must be selected.', param: 'surveyId', location: 'body' },
        },
      });
    });

    test('/login/token: a login link signs in for its survey; the secret never becomes a claim', async () => {
      const user = await seedUser(server);
      const { link, token } = await server.services.spa.loginLinks.create(appId, {
        userId: user.id,
        surveyId: 'demo',
      });
      assert.match(token, /^[A-Za-z0-9_-]{43}$/, '256 random bits, URL-safe');
      const res = await spa(server, '/login/token', { token });
      assert.equal(res.status, 200, JSON.stringify(res.body));
      const accessToken = res.body['accessToken'] as string;
      const { payload } = jwt(accessToken);
      assert.equal(payload['sub'], user.id);
      assert.equal(payload['survey'], 'demo');
      assert.deepEqual(payload['amr'], ['link']);
      assert.ok(!accessToken.includes(token) && !JSON.stringify(payload).includes(token));
      assert.ok(refreshCookie(res)?.value);
      // Not single-use: the same link works again (as the reference's); the last use is recorded.
      server.clock.advance(MINUTE);
      assert.equal((await spa(server, '/login/token', { token })).status, 200);
      const stored = await server.services.repos.loginLinks.findById(appId, link.id);
      assert.equal(stored?.lastUsedAt, server.clock.now());
      const row = await server.services.store.db
        .selectFrom('spa_login_links')
        .selectAll()
        .where('id', '=', link.id)
        .executeTakeFirstOrThrow();
      assert.equal(row.token_hash, sha256Hex(token));
      assert.ok(!JSON.stringify(row).includes(token), 'only the hash is stored');
      assert.ok(!server.logs.join('\n').includes(token), 'the secret is never logged');
    });

    test('/login/token: missing, malformed, unknown, revoked, expired and deactivated-user tokens are the same 401', async () => {
      const user = await seedUser(server);
      const revoked = await server.services.spa.loginLinks.create(appId, { userId: user.id });
      await server.services.spa.loginLinks.revoke(appId, revoked.link.id);
      const expiring = await server.services.spa.loginLinks.create(appId, {
        userId: user.id,
        expiresAt: server.clock.now() + MINUTE,
      });
      assert.equal((await spa(server, '/login/token', { token: expiring.token })).status, 200);
      server.clock.advance(MINUTE);
      const gone = await seedUser(server);
      const ofGone = await server.services.spa.loginLinks.create(appId, { userId: gone.id });
      await server.services.users.deactivate(appId, gone.id, { context: undefined });
      for (const body of [
        {},
        { token: '' },
        { token: 42 },
        { token: 'short' },
        { token: 'A'.repeat(43) },
        { token: revoked.token },
        { token: expiring.token },
        { token: ofGone.token },
      ]) {
        const res = await spa(server, '/login/token', body);
        assert.equal(res.status, 401, JSON.stringify(body));
        assert.deepEqual(res.body, CREDENTIALS);
        assert.equal(res.headers['set-cookie'], undefined);
      }
    });
  });

  describe(`spa sign-in throttling (${backend.name})`, () => {
    let server: TestServer;
    before(async () => {
      server = await startTestServer(backend);
    });
    after(async () => server.close());

    test('/login/alias: past 5 failures on an alias the next attempt is 429 with Retry-After, even with the right password', async () => {
      const user = await seedUser(server);
      await server.services.spa.aliases.create(server.services.defaultApp.id, {
        userId: user.id,
        surveyId: 'throttled',
        userName: 'r1',
      });
      const body = (password: string) => ({ userName: 'r1', password, surveyId: 'throttled' });
      for (let i = 0; i < 6; i++) {
        assert.equal((await spa(server, '/login/alias', body(`wrong-${i}-password`))).status, 401);
      }
      const blocked = await spa(server, '/login/alias', body(user.password));
      assert.equal(blocked.status, 429);
      assert.equal(blocked.headers['retry-after'], '1');
      assert.deepEqual(blocked.body, { message: 'Too many attempts; try again later' });
      // The alias's attempts count against the account's own login (its username), not a counter of their own.
      assert.equal(
        (await spa(server, '/login', { email: user.username, password: user.password })).status,
        429,
      );
      server.clock.advance(SECOND);
      assert.equal((await spa(server, '/login/alias', body(user.password))).status, 200);
    });

    test('/login/alias: a missing alias is throttled under the name as aliases are looked up (any case, any Unicode composition), as an existing one is', async () => {
      const user = await seedUser(server);
      await server.services.spa.aliases.create(server.services.defaultApp.id, {
        userId: user.id,
        surveyId: 'enumeration',
        userName: 'Renée-42',
      });
      // Typed in NFC lower case, then retried in NFD upper case: one name to the alias look-up.
      const typed = (name: string) => name.normalize('NFC').toLowerCase();
      const retyped = (name: string) => name.normalize('NFD').toUpperCase();
      const answers = [];
      for (const name of ['Renée-42', 'Zoë-42']) {
        const body = (userName: string, password: string) => ({
          userName,
          password,
          surveyId: 'enumeration',
        });
        for (let i = 0; i < 6; i++) {
          const failed = await spa(server, '/login/alias', body(typed(name), `wrong-${i}-password`));
          assert.equal(failed.status, 401, name);
        }
        answers.push(await spa(server, '/login/alias', body(retyped(name), 'wrong-7-password')));
      }
      const [existing, missing] = answers;
      assert.equal(existing!.status, 429, 'the existing alias is throttled under its normalised name');
      assert.equal(missing!.status, existing!.status, 'the missing alias answers as the existing one does');
      assert.deepEqual(missing!.body, existing!.body);
      assert.equal(missing!.headers['retry-after'], existing!.headers['retry-after']);
    });

    test('/login/token: past 50 failures from one address, 429 with Retry-After (a valid link too)', async () => {
      const user = await seedUser(server);
      const { token } = await server.services.spa.loginLinks.create(server.services.defaultApp.id, {
        userId: user.id,
      });
      const from = { remoteAddress: '192.0.2.77' };
      const attempt = (t: string) =>
        server.inject({
          method: 'POST',
          url: '/login/token',
          headers: { 'content-type': 'application/json' },
          payload: JSON.stringify({ token: t }),
          ...from,
        });
      for (let i = 0; i < 51; i++)
        assert.equal((await attempt(`${'x'.repeat(40)}${i}`.slice(-43))).statusCode, 401);
      const blocked = await attempt(token);
      assert.equal(blocked.statusCode, 429);
      assert.ok(Number(blocked.headers['retry-after']) >= 1);
      // Another address is not held back.
      const elsewhere = await server.inject({
        method: 'POST',
        url: '/login/token',
        headers: { 'content-type': 'application/json' },
        payload: JSON.stringify({ token }),
        remoteAddress: '192.0.2.78',
      });
      assert.equal(elsewhere.statusCode, 200);
    });
  });
}
