import assert from 'node:assert/strict';
import { createHmac, sign as edSign, generateKeyPairSync, type KeyObject } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { exportJWK } from 'jose';
import { probeApps, probePrincipal } from '../apps/support.js';
import { call as feathers } from '../feathers/support.js';
import { backends } from '../helpers/backends.js';
import { bearer, rpc, signIn } from '../helpers/rpc.js';
import { seedUser, startTestServer, type TestServer } from '../helpers/server.js';
import { enrollTotp, refreshCookie, spa, withCookie } from '../spa/support.js';

const b64 = (v: unknown) => Buffer.from(typeof v === 'string' ? v : JSON.stringify(v)).toString('base64url');
const decode = (part: string) =>
  JSON.parse(Buffer.from(part, 'base64url').toString()) as Record<string, unknown>;

/**
 * Every authenticated route, per dialect, as "call it with this bearer token and tell
 * me whether it was accepted". New dialects add their routes here, so every forged
 * token below is tried against every one of them.
 */
type Probe = (server: TestServer, token: string) => Promise<boolean>;
const AUTHENTICATED_ROUTES: Record<string, Probe> = {
  'rpc user.info (Bearer)': async (s, t) => (await rpc(s, 'user.info', {}, bearer(t))).body.ok === true,
  'rpc user.info (Cookie)': async (s, t) =>
    (await rpc(s, 'user.info', {}, { cookie: `session=${t}` })).body.ok === true,
  'rpc user.list (Bearer)': async (s, t) => (await rpc(s, 'user.list', {}, bearer(t))).body.ok === true,
  'feathers /auth/token (Authorization: Bearer)': async (s, t) =>
    (await feathers(s, 'POST', '/auth/token', undefined, bearer(t))).status === 201,
  'feathers /auth/token (Authorisation)': async (s, t) =>
    (await feathers(s, 'POST', '/auth/token', undefined, { authorisation: t })).status === 201,
  'feathers /auth/token (body.token)': async (s, t) =>
    (await feathers(s, 'POST', '/auth/token', { token: t })).status === 201,
  'feathers /authentication (jwt)': async (s, t) =>
    (await feathers(s, 'POST', '/authentication', { strategy: 'jwt', accessToken: t })).status === 201,
  'feathers DELETE /authentication': async (s, t) =>
    (await feathers(s, 'DELETE', '/authentication', undefined, bearer(t))).status === 200,
  'apps /auth/refresh (Bearer)': async (s, t) => (await probeApps(s, '/auth/refresh', t)) === 200,
  'apps /auth/logout (Bearer)': async (s, t) => (await probeApps(s, '/auth/logout', t)) === 204,
  'spa /refresh (Cookie)': async (s, t) =>
    (await spa(s, '/refresh', undefined, withCookie(t))).status === 200,
  'spa /login/verify (sigResponse)': async (s, t) =>
    (await spa(s, '/login/verify', { sigResponse: t })).status === 200,
};

for (const backend of (await backends()).slice(0, 1)) {
  describe(`forged tokens are refused by every authenticated route (${backend.name})`, () => {
    let server: TestServer;
    let good: string;
    let goodCookie: string;
    before(async () => {
      server = await startTestServer(backend);
      const user = await seedUser(server);
      good = await signIn(server, user.username!, user.password);
      const res = await rpc(server, 'session.setCookie', { user: user.username, password: user.password });
      goodCookie = res.cookies.find((c) => c.name === 'session')!.value;
    });
    after(async () => server.close());

    const forgeries: Record<string, () => Promise<string> | string> = {
      'alg none': () => forgeNone('none'),
      'alg None': () => forgeNone('None'),
      'alg NONE': () => forgeNone('NONE'),
      'alg nOnE': () => forgeNone('nOnE'),
      'HS256 signed with the public key (JWK bytes)': () => forgeHs256(JSON.stringify(publicJwk())),
      'HS256 signed with the public key (x as secret)': () => forgeHs256(String(publicJwk()['x'])),
      'unknown kid': () => reSignWithAttackerKey({ kid: 'no-such-key' }),
      'path-like kid': () => reSignWithAttackerKey({ kid: '../../../../dev/null' }),
      'SQL-ish kid': () => reSignWithAttackerKey({ kid: "' OR '1'='1" }),
      'huge kid': () => reSignWithAttackerKey({ kid: 'k'.repeat(10_000) }),
      'jku header to an attacker JWKS': () => reSignWithAttackerKey({ jku: 'http://127.0.0.1:9/jwks.json' }),
      'x5u header': () => reSignWithAttackerKey({ x5u: 'http://127.0.0.1:9/cert.pem' }),
      'embedded jwk header': async () => reSignWithAttackerKey({ jwk: await exportJWK(attacker.publicKey) }),
      'real kid, attacker signature': () => reSignWithAttackerKey({}),
      'tampered payload': () => tamper((p) => ({ ...p, sub: '0'.repeat(24) })),
      'stripped signature': () => `${good.split('.').slice(0, 2).join('.')}.`,
      'JWS JSON serialisation': () => {
        const [h, p, s] = good.split('.');
        return JSON.stringify({ protected: h, payload: p, signature: s });
      },
      'missing exp': () => signGenuine({ exp: undefined }),
      'expired beyond the skew': () =>
        signGenuine({ exp: Math.floor(server.clock.now() / 1000) - server.config.clockSkewSeconds - 2 }),
      'wrong iss': () => signGenuine({ iss: 'someone-else' }),
      'wrong aud (another app)': () => signGenuine({ aud: 'acme/other-app' }),
      'missing aud': () => signGenuine({ aud: undefined }),
      'unknown crit header': () => signGenuine({}, { crit: ['x-latchkey-test'], 'x-latchkey-test': true }),
      'no typ': () => signGenuine({}, { typ: undefined }),
      garbage: () => 'not.a.token',
      empty: () => '',
    };

    const attacker = generateKeyPairSync('ed25519');
    const publicJwk = () => server.services.keys.jwks(server.clock.now()).keys[0] as Record<string, unknown>;
    function forgeNone(alg: string): string {
      const [, payload] = good.split('.');
      return `${b64({ alg, typ: 'rpc-token+jwt' })}.${payload}.`;
    }
    function forgeHs256(secret: string): string {
      const [, payload] = good.split('.');
      const header = b64({ alg: 'HS256', typ: 'rpc-token+jwt', kid: publicJwk()['kid'] });
      const sig = createHmac('sha256', secret).update(`${header}.${payload}`).digest('base64url');
      return `${header}.${payload}.${sig}`;
    }
    async function reSignWithAttackerKey(extraHeader: Record<string, unknown>): Promise<string> {
      const [h, p] = good.split('.');
      return rawSign({ ...decode(h!), ...extraHeader }, decode(p!), attacker.privateKey);
    }
    function tamper(change: (p: Record<string, unknown>) => Record<string, unknown>): string {
      const [h, p, s] = good.split('.');
      return `${h}.${b64(change(decode(p!)))}.${s}`;
    }
    /** Signed with the server's real key, but with claims or header changed. */
    async function signGenuine(
      claims: Record<string, unknown>,
      header: Record<string, unknown> = {},
    ): Promise<string> {
      const [h, p] = good.split('.');
      const payload = { ...decode(p!), ...claims };
      for (const [k, v] of Object.entries(claims)) if (v === undefined) delete payload[k];
      const protectedHeader = { ...decode(h!), ...header };
      for (const [k, v] of Object.entries(header)) if (v === undefined) delete protectedHeader[k];
      return rawSign(protectedHeader, payload, server.services.keys.signingKey().privateKey);
    }
    /** Signs exactly what it is given (jose would refuse some of these headers). */
    function rawSign(
      header: Record<string, unknown>,
      payload: Record<string, unknown>,
      key: KeyObject,
    ): string {
      const input = `${b64(header)}.${b64(payload)}`;
      return `${input}.${edSign(null, Buffer.from(input), key).toString('base64url')}`;
    }

    test('the genuine tokens are accepted (so the refusals below mean something)', async () => {
      assert.equal(await AUTHENTICATED_ROUTES['rpc user.info (Bearer)']!(server, good), true);
      assert.equal(await AUTHENTICATED_ROUTES['rpc user.info (Cookie)']!(server, goodCookie), true);
      assert.equal(await AUTHENTICATED_ROUTES['rpc user.list (Bearer)']!(server, good), true);
      assert.equal(
        await AUTHENTICATED_ROUTES['rpc user.info (Bearer)']!(server, await signGenuine({})),
        true,
      );
    });

    test('a token of one kind is refused where another kind is expected', async () => {
      for (const [route, probe] of Object.entries(AUTHENTICATED_ROUTES)) {
        const otherKind = route.includes('(Cookie)') ? good : goodCookie;
        assert.equal(await probe(server, otherKind), false, `${route} accepted a token of another kind`);
      }
    });

    test('a principal token is refused by every other route, and other tokens by the apps routes', async () => {
      for (const [route, probe] of Object.entries(AUTHENTICATED_ROUTES)) {
        if (route.startsWith('apps')) {
          assert.equal(await probe(server, good), false, `${route} accepted an rpc bearer token`);
          assert.equal(await probe(server, goodCookie), false, `${route} accepted an rpc cookie`);
          // A fresh session per probe: the sign-out probe ends its own.
          assert.equal(
            await probe(server, await probePrincipal(server)),
            true,
            `${route} refused a principal token`,
          );
        } else {
          assert.equal(
            await probe(server, await probePrincipal(server)),
            false,
            `${route} accepted a principal token`,
          );
        }
      }
    });

    test('a feathers token is refused by the rpc routes, and rpc tokens by the feathers routes', async () => {
      const user = await seedUser(server);
      const feathersToken = async () =>
        (
          await feathers(server, 'POST', '/auth/login', {
            email: user.emails[0]!.address,
            password: user.password,
          })
        ).body['token'] as string;
      for (const [route, probe] of Object.entries(AUTHENTICATED_ROUTES)) {
        if (route.startsWith('feathers')) {
          assert.equal(await probe(server, good), false, `${route} accepted an rpc bearer token`);
          assert.equal(await probe(server, goodCookie), false, `${route} accepted an rpc cookie`);
          // A fresh session per probe: the sign-out probe ends its own.
          assert.equal(
            await probe(server, await feathersToken()),
            true,
            `${route} refused a genuine feathers token`,
          );
        } else {
          assert.equal(
            await probe(server, await feathersToken()),
            false,
            `${route} accepted a feathers token`,
          );
        }
      }
    });

    test('spa kinds: access, refresh, MFA challenge and MFA answer are each accepted only where expected', async () => {
      const user = await seedUser(server);
      const mfaUser = await seedUser(server);
      const { code } = await enrollTotp(server, mfaUser);
      const login = async (who: typeof user) =>
        spa(server, '/login', { email: who.emails[0]!.address, password: who.password });
      const challenge = async () => ((await login(mfaUser)).body['mfa'] as { request: string }).request;
      // A fresh token for every probe: refresh rotates, verify consumes, sign-out probes end sessions.
      const mint: Record<string, () => Promise<string>> = {
        'spa-access': async () => (await login(user)).body['accessToken'] as string,
        'spa-refresh': async () => refreshCookie(await login(user))!.value,
        'mfa-challenge': challenge,
        'mfa-response': async () => {
          const request = await challenge();
          // Each answer needs a code of its own: TOTP codes are single use per step.
          server.clock.advance(30_000);
          const res = await server.inject({
            method: 'POST',
            url: '/mfa/challenge/respond',
            headers: { 'content-type': 'application/json' },
            payload: JSON.stringify({ request, code: code() }),
          });
          assert.equal(res.statusCode, 200, res.body);
          return (res.json() as { sigResponse: string }).sigResponse;
        },
      };
      const accepts: Record<string, string[]> = {
        'rpc user.info (Bearer)': ['spa-access'],
        'rpc user.list (Bearer)': ['spa-access'],
        'spa /refresh (Cookie)': ['spa-refresh'],
        'spa /login/verify (sigResponse)': ['mfa-response'],
      };
      for (const [route, probe] of Object.entries(AUTHENTICATED_ROUTES)) {
        for (const [kind, make] of Object.entries(mint)) {
          const expected = accepts[route]?.includes(kind) ?? false;
          // Whether other dialects take spa access tokens is theirs to say; nothing else may pass anywhere.
          if (kind === 'spa-access' && !expected && !(route in accepts) && !route.includes('(Cookie)'))
            continue;
          assert.equal(await probe(server, await make()), expected, `${route} with a ${kind} token`);
        }
      }
    });

    test('an internal kind signed with a published key (EdDSA, or HS256 keyed with the JWKS) is refused where that kind is expected', async () => {
      const mfaUser = await seedUser(server);
      const { code } = await enrollTotp(server, mfaUser);
      const login = await spa(server, '/login', {
        email: mfaUser.emails[0]!.address,
        password: mfaUser.password,
      });
      const { request } = login.body['mfa'] as { request: string };
      const res = await server.inject({
        method: 'POST',
        url: '/mfa/challenge/respond',
        headers: { 'content-type': 'application/json' },
        payload: JSON.stringify({ request, code: code() }),
      });
      assert.equal(res.statusCode, 200, res.body);
      const { sigResponse } = res.json() as { sigResponse: string };
      const [h, p] = sigResponse.split('.');
      assert.equal(decode(h!)['alg'], 'HS256', 'internal kinds are signed with the unpublished key');
      const verify = AUTHENTICATED_ROUTES['spa /login/verify (sigResponse)']!;
      const edDsa = rawSign(
        { alg: 'EdDSA', kid: publicJwk()['kid'], typ: 'mfa-response+jwt' },
        decode(p!),
        server.services.keys.signingKey().privateKey,
      );
      assert.equal(await verify(server, edDsa), false, 'EdDSA under the signing key');
      const header = b64({ alg: 'HS256', typ: 'mfa-response+jwt' });
      const hmac = createHmac('sha256', JSON.stringify(publicJwk()))
        .update(`${header}.${p}`)
        .digest('base64url');
      assert.equal(await verify(server, `${header}.${p}.${hmac}`), false, 'HS256 keyed with the public key');
      assert.equal(await verify(server, sigResponse), true, 'the genuine answer still works (once)');
    });

    for (const [name, forge] of Object.entries(forgeries)) {
      test(name, async () => {
        const token = await forge();
        for (const [route, probe] of Object.entries(AUTHENTICATED_ROUTES)) {
          assert.equal(await probe(server, token), false, `${route} accepted a token with ${name}`);
        }
      });
    }
  });
}
