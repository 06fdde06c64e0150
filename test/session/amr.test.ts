import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { apps, claimsOf, createApp, readyLogin, startAppsServer } from '../apps/support.js';
import { call as feathers } from '../feathers/support.js';
import { backends } from '../helpers/backends.js';
import { rpc } from '../helpers/rpc.js';
import { seedUser } from '../helpers/server.js';
import { enrollTotp, jwt, refreshCookie, spa, withCookie } from '../spa/support.js';

const PORTAL = 'amr/portal';
const PWD = ['pwd'];
const PWD_OTP = ['pwd', 'otp', 'mfa'];

/**
 * RFC 8176 `amr` in the access tokens of every dialect: `["pwd"]` after a password,
 * `["pwd","otp","mfa"]` after a password and a TOTP or recovery code, `["link"]` after
 * an spa login link; and a refreshed token says what the sign-in said.
 */
for (const backend of await backends()) {
  describe(`amr: how the user signed in, in every dialect's tokens (${backend.name})`, () => {
    let server: Awaited<ReturnType<typeof startAppsServer>>;
    before(async () => {
      server = await startAppsServer(backend);
      await createApp(server, PORTAL);
    });
    after(async () => server.close());

    const amrOf = (token: string) => jwt(token).payload['amr'];

    /** A user, and the same user's TOTP code and a recovery code when `mfa`. */
    async function user(mfa: boolean) {
      const u = await seedUser(server);
      if (!mfa) return { ...u, code: () => '', recovery: '' };
      const { code } = await enrollTotp(server, u);
      const [recovery] = await server.services.mfa.generateRecoveryCodes(u);
      return { ...u, code, recovery: recovery! };
    }

    test('rpc: issueToken and setCookie carry amr, and refreshToken / refreshCookie keep it', async () => {
      const plain = await user(false);
      const withTotp = await user(true);
      const cases = [
        [plain, {}, PWD],
        [withTotp, { secondaryAuthFactor: { type: 'TOTP', token: withTotp.code() } }, PWD_OTP],
      ] as const;
      for (const [who, extra, expected] of cases) {
        const issued = await rpc(server, 'session.issueToken', {
          user: who.username,
          password: who.password,
          ...extra,
        });
        assert.equal(issued.body.ok, true, JSON.stringify(issued.body));
        const token = issued.body['token'] as string;
        assert.deepEqual(amrOf(token), expected);
        server.clock.advance(1000);
        const refreshed = await rpc(server, 'session.refreshToken', { token });
        assert.equal(refreshed.body.ok, true, JSON.stringify(refreshed.body));
        assert.deepEqual(amrOf(refreshed.body['token'] as string), expected, 'kept after a refresh');
      }
      const cookieRes = await rpc(server, 'session.setCookie', {
        user: withTotp.username,
        password: withTotp.password,
        secondaryAuthFactor: { type: 'RECOVERY_CODE', token: withTotp.recovery },
      });
      assert.equal(cookieRes.body.ok, true, JSON.stringify(cookieRes.body));
      const cookie = cookieRes.cookies.find((c) => c.name === 'session')!.value;
      assert.deepEqual(amrOf(cookie), PWD_OTP, 'a recovery code is a one-time password too');
      const rotated = await rpc(server, 'session.refreshCookie', {}, { cookie: `session=${cookie}` });
      assert.equal(rotated.body.ok, true, JSON.stringify(rotated.body));
      assert.deepEqual(amrOf(rotated.cookies.find((c) => c.name === 'session')!.value), PWD_OTP);
    });

    test('feathers: /auth/login carries amr, and /auth/token keeps it', async () => {
      const plain = await user(false);
      const withTotp = await user(true);
      const cases = [
        [plain, {}, PWD],
        [withTotp, { secondaryAuthFactor: { type: 'TOTP', token: withTotp.code() } }, PWD_OTP],
      ] as const;
      for (const [who, extra, expected] of cases) {
        const res = await feathers(server, 'POST', '/auth/login', {
          email: who.emails[0]!.address,
          password: who.password,
          ...extra,
        });
        assert.equal(res.status, 201, JSON.stringify(res.body));
        const token = res.body['token'] as string;
        assert.deepEqual(amrOf(token), expected);
        server.clock.advance(1000);
        const exchanged = await feathers(server, 'POST', '/auth/token', { token });
        assert.equal(exchanged.status, 201, JSON.stringify(exchanged.body));
        assert.deepEqual(amrOf(exchanged.body['token'] as string), expected, 'kept after /auth/token');
      }
    });

    test('apps: the principal token carries amr, and /auth/refresh keeps it', async () => {
      const app = await server.services.apps.ensure(PORTAL);
      const plain = await readyLogin(server, app, 'amr-plain', 'amr-password-1');
      const mfaUser = await readyLogin(server, app, 'amr-mfa', 'amr-password-2');
      const { code } = await enrollTotp(server, mfaUser);
      const cases = [
        [plain, 'amr-plain', 'amr-password-1', undefined, PWD],
        [mfaUser, 'amr-mfa', 'amr-password-2', () => ({ type: 'TOTP', token: code() }), PWD_OTP],
      ] as const;
      for (const [, login, password, factor, expected] of cases) {
        // The code of the step the clock is at now (earlier cases move it).
        const secondaryAuthFactor = factor?.();
        const res = await apps(server, PORTAL, '/auth/login', {
          json: { login, password, ...(secondaryAuthFactor ? { secondaryAuthFactor } : {}) },
        });
        assert.equal(res.status, 200, JSON.stringify(res.body));
        const token = res.body['principalToken'] as string;
        assert.deepEqual(claimsOf(token)['amr'], expected);
        server.clock.advance(60_000);
        const refreshed = await apps(server, PORTAL, '/auth/refresh', { token });
        assert.equal(refreshed.status, 200, JSON.stringify(refreshed.body));
        assert.deepEqual(claimsOf(refreshed.body['principalToken'] as string)['amr'], expected);
      }
    });

    test('spa: password, password + TOTP through the hosted page, login link; /refresh keeps each', async () => {
      const plain = await user(false);
      const withTotp = await user(true);
      const refreshKeeps = async (res: Awaited<ReturnType<typeof spa>>, expected: readonly string[]) => {
        assert.equal(res.status, 200, JSON.stringify(res.body));
        assert.deepEqual(amrOf(res.body['accessToken'] as string), expected);
        server.clock.advance(1000);
        const refreshed = await spa(server, '/refresh', undefined, withCookie(refreshCookie(res)!.value));
        assert.equal(refreshed.status, 200, JSON.stringify(refreshed.body));
        assert.deepEqual(amrOf(refreshed.body['accessToken'] as string), expected, 'kept after /refresh');
      };
      await refreshKeeps(
        await spa(server, '/login', { email: plain.emails[0]!.address, password: plain.password }),
        PWD,
      );
      const challenged = await spa(server, '/login', {
        email: withTotp.emails[0]!.address,
        password: withTotp.password,
      });
      const { request } = challenged.body['mfa'] as { request: string };
      const answered = await server.inject({
        method: 'POST',
        url: '/mfa/challenge/respond',
        headers: { 'content-type': 'application/json' },
        payload: JSON.stringify({ request, code: withTotp.code() }),
      });
      assert.equal(answered.statusCode, 200, answered.body);
      const { sigResponse } = answered.json() as { sigResponse: string };
      await refreshKeeps(await spa(server, '/login/verify', { sigResponse }), PWD_OTP);
      const { token } = await server.services.spa.loginLinks.create(server.services.defaultApp.id, {
        userId: plain.id,
      });
      await refreshKeeps(await spa(server, '/login/token', { token }), ['link']);
    });
  });
}
