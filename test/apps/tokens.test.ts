import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { App } from '../../src/identity/types.js';
import { backends } from '../helpers/backends.js';
import { bearer, rpc } from '../helpers/rpc.js';
import { seedUser } from '../helpers/server.js';
import { apps, claimsOf, createApp, isAppsError, readyLogin, signIn, startAppsServer } from './support.js';

const PORTAL = 'acme/portal';

for (const backend of await backends()) {
  describe(`apps dialect: refresh and sign-out (${backend.name})`, () => {
    let server: Awaited<ReturnType<typeof startAppsServer>>;
    let portal: App;
    before(async () => {
      server = await startAppsServer(backend);
      portal = await createApp(server, PORTAL);
      await readyLogin(server, portal, 'alice', 'alice-password-1');
    });
    after(async () => server.close());

    test('refresh 200: a new token with the same claims, new iat/exp, in the same session', async () => {
      const token = await signIn(server, PORTAL, 'alice', 'alice-password-1');
      server.clock.advance(60_000);
      const res = await apps(server, PORTAL, '/auth/refresh', { token });
      assert.equal(res.status, 200, JSON.stringify(res.body));
      assert.deepEqual(Object.keys(res.body), ['principalToken', 'expiresInSeconds', 'profileWSID']);
      assert.equal(res.body['expiresInSeconds'], 3600);
      assert.equal(res.body['profileWSID'], claimsOf(token)['ProfileWSID']);
      const before = claimsOf(token);
      const renewed = claimsOf(res.body['principalToken'] as string);
      for (const claim of [
        'Login',
        'Alias',
        'SubjectKind',
        'ProfileWSID',
        'AppQName',
        'Roles',
        'GlobalRoles',
        'IsAPIToken',
        'Duration',
        'sid',
        'sub',
        'aud',
      ]) {
        assert.deepEqual(renewed[claim], before[claim], claim);
      }
      assert.equal(renewed['iat'], (before['iat'] as number) + 60);
      assert.equal(renewed['exp'], (renewed['iat'] as number) + 3600);
      assert.notEqual(renewed['IssuedAt'], before['IssuedAt']);
      assert.notEqual(renewed['jti'], before['jti']);
      // Both tokens work until they expire (refresh is not sign-out)...
      assert.equal(
        (await apps(server, PORTAL, '/auth/refresh', { token: res.body['principalToken'] as string })).status,
        200,
      );
    });

    test('refresh: concurrent refreshes of one token get the same successor; a reuse after the grace window ends the session', async () => {
      const token = await signIn(server, PORTAL, 'alice', 'alice-password-1');
      const answers = await Promise.all(
        Array.from({ length: 5 }, () => apps(server, PORTAL, '/auth/refresh', { token })),
      );
      const successors = new Set(answers.map((r) => r.body['principalToken']));
      assert.deepEqual(
        answers.map((r) => r.status),
        [200, 200, 200, 200, 200],
      );
      assert.equal(successors.size, 1);
      const successor = [...successors][0] as string;
      server.clock.advance((server.config.refreshGraceSeconds + 1) * 1000);
      const reuse = await apps(server, PORTAL, '/auth/refresh', { token });
      assert.equal(reuse.status, 401);
      assert.equal(
        (await apps(server, PORTAL, '/auth/refresh', { token: successor })).status,
        401,
        'the family is revoked',
      );
    });

    test('refresh 401: no header, an unsupported scheme, garbage, an expired token', async () => {
      const none = await apps(server, PORTAL, '/auth/refresh');
      assert.deepEqual(none.body, { status: 401, message: 'authorization header is empty' });
      const digest = await apps(server, PORTAL, '/auth/refresh', {
        headers: { authorization: 'Digest abc' },
      });
      assert.deepEqual(digest.body, { status: 401, message: 'unsupported Authorization header' });
      const garbage = await apps(server, PORTAL, '/auth/refresh', { token: 'not.a.token' });
      assert.deepEqual(garbage.body, { status: 401, message: 'invalid token' });
      const token = await signIn(server, PORTAL, 'alice', 'alice-password-1');
      server.clock.advance((3600 + server.config.clockSkewSeconds + 1) * 1000);
      const expired = await apps(server, PORTAL, '/auth/refresh', { token });
      assert.deepEqual(expired.body, { status: 401, message: 'token expired' });
    });

    test("refresh accepts the reference's Basic form (the token is the decoded text without its colon)", async () => {
      const token = await signIn(server, PORTAL, 'alice', 'alice-password-1');
      const basic = Buffer.from(`${token}:`).toString('base64');
      const res = await apps(server, PORTAL, '/auth/refresh', {
        headers: { authorization: `Basic ${basic}` },
      });
      assert.equal(res.status, 200);
    });

    test('refresh 400: unknown app', async () => {
      const token = await signIn(server, PORTAL, 'alice', 'alice-password-1');
      const res = await apps(server, 'acme/unknown', '/auth/refresh', { token });
      assert.equal(res.status, 400);
      assert.ok(isAppsError(res.body, 400));
    });

    test('sign-out 204 revokes the token at once, and every token refreshed from it; 401 afterwards', async () => {
      const token = await signIn(server, PORTAL, 'alice', 'alice-password-1');
      const refreshed = (await apps(server, PORTAL, '/auth/refresh', { token })).body[
        'principalToken'
      ] as string;
      const out = await apps(server, PORTAL, '/auth/logout', { token });
      assert.equal(out.status, 204);
      assert.equal(out.raw.body, '');
      for (const t of [token, refreshed]) {
        const res = await apps(server, PORTAL, '/auth/refresh', { token: t });
        assert.deepEqual(res.body, { status: 401, message: 'invalid token' });
      }
      const again = await apps(server, PORTAL, '/auth/logout', { token });
      assert.equal(again.status, 401);
      assert.equal((await apps(server, PORTAL, '/auth/logout')).status, 401);
      // Another session of the same login is untouched.
      const other = await signIn(server, PORTAL, 'alice', 'alice-password-1');
      assert.equal((await apps(server, PORTAL, '/auth/refresh', { token: other })).status, 200);
    });

    test('sign-out 400: unknown app', async () => {
      const token = await signIn(server, PORTAL, 'alice', 'alice-password-1');
      assert.equal((await apps(server, 'acme/unknown', '/auth/logout', { token })).status, 400);
    });

    test('a deactivated login can no longer refresh', async () => {
      const user = await readyLogin(server, portal, 'mallory', 'mallory-password-1');
      const token = await signIn(server, PORTAL, 'mallory', 'mallory-password-1');
      await server.services.users.deactivate(portal.id, user.id, { context: undefined });
      assert.equal((await apps(server, PORTAL, '/auth/refresh', { token })).status, 401);
    });

    test('a principal token is refused by the rpc dialect, and an rpc token by the apps dialect', async () => {
      const principal = await signIn(server, PORTAL, 'alice', 'alice-password-1');
      assert.equal((await rpc(server, 'user.info', {}, bearer(principal))).body.error?.code, 10000);
      const user = await seedUser(server);
      const rpcToken = (
        await rpc(server, 'session.issueToken', { user: user.username, password: user.password })
      ).body['token'] as string;
      assert.ok(rpcToken);
      for (const path of ['/auth/refresh', '/auth/logout']) {
        const res = await apps(server, PORTAL, path, { token: rpcToken });
        assert.deepEqual(res.body, { status: 401, message: 'invalid token' }, path);
      }
      // Nor does the default app's name help: the apps dialect does not serve it.
      assert.equal(
        (await apps(server, server.config.defaultApp, '/auth/refresh', { token: rpcToken })).status,
        400,
      );
    });

    test('principal tokens verify against the published JWKS (EdDSA), like every Latchkey token', async () => {
      const { createLocalJWKSet, jwtVerify } = await import('jose');
      const token = await signIn(server, PORTAL, 'alice', 'alice-password-1');
      const jwks = (await server.inject({ method: 'GET', url: '/.well-known/jwks.json' })).json();
      const { payload } = await jwtVerify(token, createLocalJWKSet(jwks), {
        algorithms: ['EdDSA'],
        audience: PORTAL,
        currentDate: new Date(server.clock.now()),
      });
      assert.equal(payload['Login'], 'alice');
    });
  });
}
