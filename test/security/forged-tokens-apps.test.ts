import assert from 'node:assert/strict';
import { createHmac, sign as edSign, generateKeyPairSync, type KeyObject } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { exportJWK } from 'jose';
import { ACTIVATE, EJECT, ENROLL, RECOVERY_CODES } from '../apps/mfa-support.js';
import { apps, createApp, readyLogin, signIn } from '../apps/support.js';
import { backends } from '../helpers/backends.js';
import { bearer, rpc } from '../helpers/rpc.js';
import { seedUser, startTestServer, type TestServer } from '../helpers/server.js';

const b64 = (v: unknown) => Buffer.from(typeof v === 'string' ? v : JSON.stringify(v)).toString('base64url');
const decode = (part: string) =>
  JSON.parse(Buffer.from(part, 'base64url').toString()) as Record<string, unknown>;

const APP = 'forge/app';
/** The victim's real password: only the token may be what gets a forged request refused. */
const victimFactor = { secondaryAuthFactor: { type: 'PASSWORD', token: 'victim-password-1' } };

/**
 * The forgeries of forged-tokens.test.ts, built from a genuine *principal* token, tried
 * on every authenticated apps route. Sign-out is probed only with tokens that must be
 * refused (a genuine one would end the session the others are built from).
 */
for (const backend of (await backends()).slice(0, 1)) {
  describe(`forged principal tokens are refused by every authenticated apps route (${backend.name})`, () => {
    let server: TestServer;
    let good: string;
    const probes: Record<string, (token: string) => Promise<number>> = {
      refresh: async (t) => (await apps(server, APP, '/auth/refresh', { token: t })).status,
      logout: async (t) => (await apps(server, APP, '/auth/logout', { token: t })).status,
      'mfa enroll': async (t) => (await apps(server, APP, ENROLL, { token: t, json: victimFactor })).status,
      'mfa activate': async (t) =>
        (
          await apps(server, APP, ACTIVATE, {
            token: t,
            json: { secret: 'JBSWY3DPEHPK3PXP', code: '123456' },
          })
        ).status,
      'mfa eject': async (t) => (await apps(server, APP, EJECT, { token: t, json: victimFactor })).status,
      'mfa recovery codes': async (t) =>
        (await apps(server, APP, RECOVERY_CODES, { token: t, json: victimFactor })).status,
    };
    before(async () => {
      server = await startTestServer(backend);
      const app = await createApp(server, APP);
      await createApp(server, 'forge/other');
      await readyLogin(server, app, 'victim', 'victim-password-1');
      good = await signIn(server, APP, 'victim', 'victim-password-1');
    });
    after(async () => server.close());

    const attacker = generateKeyPairSync('ed25519');
    const publicJwk = () => server.services.keys.jwks(server.clock.now()).keys[0] as Record<string, unknown>;
    const rawSign = (header: Record<string, unknown>, payload: Record<string, unknown>, key: KeyObject) => {
      const input = `${b64(header)}.${b64(payload)}`;
      return `${input}.${edSign(null, Buffer.from(input), key).toString('base64url')}`;
    };
    const parts = () => good.split('.') as [string, string, string];
    function signGenuine(claims: Record<string, unknown>, header: Record<string, unknown> = {}): string {
      const [h, p] = parts();
      const payload = { ...decode(p), ...claims };
      for (const [k, v] of Object.entries(claims)) if (v === undefined) delete payload[k];
      const protectedHeader = { ...decode(h), ...header };
      for (const [k, v] of Object.entries(header)) if (v === undefined) delete protectedHeader[k];
      return rawSign(protectedHeader, payload, server.services.keys.signingKey().privateKey);
    }
    const reSign = (extra: Record<string, unknown>) => {
      const [h, p] = parts();
      return rawSign({ ...decode(h), ...extra }, decode(p), attacker.privateKey);
    };

    const forgeries: Record<string, () => Promise<string> | string> = {
      'alg none': () => `${b64({ alg: 'none', typ: 'apps-principal+jwt' })}.${parts()[1]}.`,
      'alg nOnE': () => `${b64({ alg: 'nOnE', typ: 'apps-principal+jwt' })}.${parts()[1]}.`,
      'HS256 signed with the public key': () => {
        const header = b64({ alg: 'HS256', typ: 'apps-principal+jwt', kid: publicJwk()['kid'] });
        const sig = createHmac('sha256', JSON.stringify(publicJwk()))
          .update(`${header}.${parts()[1]}`)
          .digest('base64url');
        return `${header}.${parts()[1]}.${sig}`;
      },
      'HS256 with the reference-style shared secret': () => {
        const header = b64({ alg: 'HS256', typ: 'JWT' });
        const sig = createHmac('sha256', 'x'.repeat(64))
          .update(`${header}.${parts()[1]}`)
          .digest('base64url');
        return `${header}.${parts()[1]}.${sig}`;
      },
      'unknown kid': () => reSign({ kid: 'no-such-key' }),
      'huge kid': () => reSign({ kid: 'k'.repeat(10_000) }),
      'jku header': () => reSign({ jku: 'http://127.0.0.1:9/jwks.json' }),
      'embedded jwk header': async () => reSign({ jwk: await exportJWK(attacker.publicKey) }),
      'real kid, attacker signature': () => reSign({}),
      'tampered ProfileWSID': () => {
        const [h, p, s] = parts();
        return `${h}.${b64({ ...decode(p), ProfileWSID: 1 })}.${s}`;
      },
      'stripped signature': () => `${parts()[0]}.${parts()[1]}.`,
      'missing exp': () => signGenuine({ exp: undefined }),
      'expired beyond the skew': () =>
        signGenuine({ exp: Math.floor(server.clock.now() / 1000) - server.config.clockSkewSeconds - 2 }),
      'wrong iss': () => signGenuine({ iss: 'someone-else' }),
      'aud of another app': () => signGenuine({ aud: 'forge/other' }),
      'AppQName of another app': () => signGenuine({ AppQName: 'forge/other' }),
      'missing aud': () => signGenuine({ aud: undefined }),
      'missing sid': () => signGenuine({ sid: undefined }),
      'unknown crit header': () => signGenuine({}, { crit: ['x-test'], 'x-test': true }),
      'rpc kind (typ rpc-token+jwt)': () => signGenuine({}, { typ: 'rpc-token+jwt' }),
      'verified-email kind': () => signGenuine({}, { typ: 'apps-verified-email+jwt' }),
      'no typ': () => signGenuine({}, { typ: undefined }),
      garbage: () => 'not.a.token',
    };

    test('the genuine token, and a genuine re-signing of it, are accepted (so the refusals mean something)', async () => {
      assert.equal(await probes['refresh']!(good), 200);
      assert.equal(await probes['refresh']!(signGenuine({})), 200);
      assert.equal(await probes['mfa enroll']!(signGenuine({})), 200);
    });

    for (const [name, forge] of Object.entries(forgeries)) {
      test(name, async () => {
        const token = await forge();
        for (const [route, probe] of Object.entries(probes)) {
          assert.equal(await probe(token), 401, `${route} accepted a token with ${name}`);
        }
      });
    }

    test('a principal token is refused by the rpc dialect (Bearer and Cookie)', async () => {
      assert.equal((await rpc(server, 'user.info', {}, bearer(good))).body.error?.code, 10000);
      assert.equal(
        (await rpc(server, 'user.info', {}, { cookie: `session=${good}` })).body.error?.code,
        10000,
      );
    });

    test('an rpc session token is refused by the apps dialect', async () => {
      const user = await seedUser(server);
      const res = await rpc(server, 'session.issueToken', { user: user.username, password: user.password });
      const token = res.body['token'] as string;
      for (const [route, probe] of Object.entries(probes)) assert.equal(await probe(token), 401, route);
    });
  });
}
