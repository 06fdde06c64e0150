import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { createLocalJWKSet, type JSONWebKeySet, jwtVerify } from 'jose';
import { apps, signIn as appsSignIn, createApp, readyLogin, startAppsServer } from '../apps/support.js';
import { login as feathersLogin } from '../feathers/support.js';
import { backends } from '../helpers/backends.js';
import { bearer, rpc, signIn as rpcSignIn } from '../helpers/rpc.js';
import { seedUser, type TestServer } from '../helpers/server.js';
import { enrollTotp, refreshCookie, spa } from '../spa/support.js';

const PORTAL = 'internal/portal';

/**
 * A resource server that does what docs/apps.md, rpc.md and feathers.md describe at the
 * least: signature against the published JWKS, `iss`, `aud` and `exp`, and nothing else
 * (no `typ`). Every token that is not an access token must fail it; every access token
 * must pass it.
 */
for (const backend of (await backends()).slice(0, 1)) {
  describe(`internal tokens cannot pass for access tokens (${backend.name})`, () => {
    let server: Awaited<ReturnType<typeof startAppsServer>>;
    let jwks: ReturnType<typeof createLocalJWKSet>;
    const appAudience = 'latchkey/default';

    before(async () => {
      server = await startAppsServer(backend);
      await createApp(server, PORTAL);
      const res = await server.inject({ method: 'GET', url: '/.well-known/jwks.json' });
      assert.equal(res.statusCode, 200);
      jwks = createLocalJWKSet(res.json() as JSONWebKeySet);
    });
    after(async () => server.close());

    /** True when a naive resource server (signature, iss, aud, exp) accepts `token` for `audience`. */
    async function naiveAccepts(token: string, audience: string): Promise<boolean> {
      try {
        await jwtVerify(token, jwks, { issuer: server.config.issuer, audience });
        return true;
      } catch {
        return false;
      }
    }

    /** An spa MFA challenge (`request`) of a user with TOTP, and its `code()`. */
    async function spaChallenge(s: TestServer) {
      const user = await seedUser(s);
      const { code } = await enrollTotp(s, user);
      const res = await spa(s, '/login', { email: user.emails[0]!.address, password: user.password });
      assert.equal(res.status, 200, JSON.stringify(res.body));
      const request = (res.body['mfa'] as { request: string }).request;
      return { request, code };
    }

    test('the spa MFA challenge, issued after the password alone, fails a JWKS check with the access audience', async () => {
      const { request } = await spaChallenge(server);
      assert.equal(await naiveAccepts(request, appAudience), false);
      // Latchkey itself still reads it: the hosted page opens for it.
      const page = await server.inject({
        method: 'GET',
        url: `/mfa/challenge?request=${encodeURIComponent(request)}`,
      });
      assert.equal(page.statusCode, 200, page.body);
    });

    test('the MFA answer (sigResponse) fails a JWKS check, and still completes the sign-in', async () => {
      const { request, code } = await spaChallenge(server);
      const answered = await server.inject({
        method: 'POST',
        url: '/mfa/challenge/respond',
        headers: { 'content-type': 'application/json' },
        payload: JSON.stringify({ request, code: code() }),
      });
      assert.equal(answered.statusCode, 200, answered.body);
      const { sigResponse } = answered.json() as { sigResponse: string };
      assert.equal(await naiveAccepts(sigResponse, appAudience), false);
      const verified = await spa(server, '/login/verify', { sigResponse });
      assert.equal(verified.status, 200, JSON.stringify(verified.body));
      assert.equal(await naiveAccepts(verified.body['accessToken'] as string, appAudience), true);
    });

    test('the apps verified-email token fails a JWKS check with the app as audience, and still signs up', async () => {
      const email = 'internal-signup@example.com';
      const requested = await apps(server, PORTAL, '/users/email-code', { json: { email } });
      assert.equal(requested.status, 200, JSON.stringify(requested.body));
      const code = server.mails.findLast((m) => m.to === email)!.vars.code!;
      const verified = await apps(server, PORTAL, '/users/email-code/verify', {
        json: { verificationToken: requested.body['verificationToken'], code },
      });
      assert.equal(verified.status, 200, JSON.stringify(verified.body));
      const token = verified.body['verifiedEmailToken'] as string;
      assert.equal(await naiveAccepts(token, PORTAL), false);
      const created = await apps(server, PORTAL, '/users', {
        json: { verifiedEmailToken: token, password: 'internal-password-1', displayName: 'I' },
      });
      assert.equal(created.status, 201, JSON.stringify(created.body));
    });

    test('login links and spa refresh values fail a JWKS check', async () => {
      const root = await seedUser(server, { superuser: true });
      const admin = bearer(await rpcSignIn(server, root.username!, root.password));
      const user = await seedUser(server);
      const created = await server.inject({
        method: 'POST',
        url: '/admin/login-links',
        headers: { ...admin, 'content-type': 'application/json' },
        payload: JSON.stringify({ userId: user.id }),
      });
      assert.equal(created.statusCode, 201, created.body);
      const { token: link } = created.json() as { token: string };
      assert.equal(await naiveAccepts(link, appAudience), false);
      const signedIn = await spa(server, '/login/token', { token: link });
      assert.equal(signedIn.status, 200, JSON.stringify(signedIn.body));
      const refresh = refreshCookie(signedIn)!.value;
      assert.equal(await naiveAccepts(refresh, appAudience), false);
      assert.equal(await naiveAccepts(decodeURIComponent(refresh), appAudience), false);
    });

    test('the access tokens of every dialect pass the same check', async () => {
      const user = await seedUser(server);
      const email = user.emails[0]!.address;
      const rpcToken = await rpcSignIn(server, user.username!, user.password);
      const cookieRes = await rpc(server, 'session.setCookie', {
        user: user.username,
        password: user.password,
      });
      const rpcCookie = cookieRes.cookies.find((c) => c.name === 'session')!.value;
      const spaRes = await spa(server, '/login', { email, password: user.password });
      const feathersToken = await feathersLogin(server, email, user.password);
      const portal = await server.services.apps.ensure(PORTAL);
      await readyLogin(server, portal, 'internal-login', 'internal-password-2');
      const principal = await appsSignIn(server, PORTAL, 'internal-login', 'internal-password-2');
      for (const [name, token, audience] of [
        ['rpc token', rpcToken, appAudience],
        ['rpc cookie', rpcCookie, appAudience],
        ['spa access token', spaRes.body['accessToken'] as string, appAudience],
        ['feathers token', feathersToken, appAudience],
        ['apps principal token', principal, PORTAL],
      ] as const) {
        assert.equal(await naiveAccepts(token, audience), true, name);
      }
    });
  });
}
