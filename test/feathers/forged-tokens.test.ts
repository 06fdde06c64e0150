import assert from 'node:assert/strict';
import { createHmac, sign as edSign, generateKeyPairSync, type KeyObject } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { exportJWK } from 'jose';
import { backends } from '../helpers/backends.js';
import { bearer } from '../helpers/rpc.js';
import { call, type FeathersTestServer, feathersUser, login, startFeathersServer } from './support.js';

const b64 = (v: unknown) => Buffer.from(typeof v === 'string' ? v : JSON.stringify(v)).toString('base64url');
const decode = (part: string) =>
  JSON.parse(Buffer.from(part, 'base64url').toString()) as Record<string, unknown>;

/** The feathers routes that take a token, as "was this token accepted?". */
const PROBES: Record<string, (s: FeathersTestServer, t: string) => Promise<boolean>> = {
  '/auth/token (Bearer)': async (s, t) =>
    (await call(s, 'POST', '/auth/token', undefined, bearer(t))).status === 201,
  '/auth/token (query)': async (s, t) =>
    (await call(s, 'POST', `/auth/token?token=${encodeURIComponent(t)}`)).status === 201,
  '/authentication (jwt)': async (s, t) =>
    (await call(s, 'POST', '/authentication', { strategy: 'jwt', accessToken: t })).status === 201,
  'DELETE /authentication': async (s, t) =>
    (await call(s, 'DELETE', '/authentication', undefined, bearer(t))).status === 200,
};

/**
 * RFC 8725 forgeries built from a genuine feathers token (so they carry its `typ`,
 * `kid`, `sid` and claims): every one must be refused by every feathers route, with a
 * 401 and never a 5xx.
 */
for (const backend of (await backends()).slice(0, 1)) {
  describe(`forged feathers tokens are refused (${backend.name})`, () => {
    let server: FeathersTestServer;
    let good: string;
    before(async () => {
      server = await startFeathersServer(backend);
      const user = await feathersUser(server);
      good = await login(server, user.email, user.password);
    });
    after(async () => server.close());

    const attacker = generateKeyPairSync('ed25519');
    const publicJwk = () => server.services.keys.jwks(server.clock.now()).keys[0] as Record<string, unknown>;
    const parts = () => good.split('.') as [string, string, string];
    function rawSign(
      header: Record<string, unknown>,
      payload: Record<string, unknown>,
      key: KeyObject,
    ): string {
      const input = `${b64(header)}.${b64(payload)}`;
      return `${input}.${edSign(null, Buffer.from(input), key).toString('base64url')}`;
    }
    /** Signed with the server's real key, with claims or header changed (undefined removes). */
    function signGenuine(claims: Record<string, unknown>, header: Record<string, unknown> = {}): string {
      const [h, p] = parts();
      const payload = { ...decode(p), ...claims };
      for (const [k, v] of Object.entries(claims)) if (v === undefined) delete payload[k];
      const protectedHeader = { ...decode(h), ...header };
      for (const [k, v] of Object.entries(header)) if (v === undefined) delete protectedHeader[k];
      return rawSign(protectedHeader, payload, server.services.keys.signingKey().privateKey);
    }
    const forgeNone = (alg: string) => `${b64({ alg, typ: 'feathers-access+jwt' })}.${parts()[1]}.`;
    const forgeHs256 = (secret: string) => {
      const header = b64({ alg: 'HS256', typ: 'feathers-access+jwt', kid: publicJwk()['kid'] });
      const sig = createHmac('sha256', secret).update(`${header}.${parts()[1]}`).digest('base64url');
      return `${header}.${parts()[1]}.${sig}`;
    };
    const reSign = (extra: Record<string, unknown>) =>
      rawSign({ ...decode(parts()[0]), ...extra }, decode(parts()[1]), attacker.privateKey);

    const forgeries: Record<string, () => Promise<string> | string> = {
      'alg none': () => forgeNone('none'),
      'alg nOnE': () => forgeNone('nOnE'),
      'HS256 with the public JWK as secret': () => forgeHs256(JSON.stringify(publicJwk())),
      'HS256 with x as secret': () => forgeHs256(String(publicJwk()['x'])),
      'HS256 with the master secret as secret (Feathers-style shared secret)': () =>
        forgeHs256(server.config.secret),
      'real kid, attacker signature': () => reSign({}),
      'unknown kid': () => reSign({ kid: 'nope' }),
      'jku header': () => reSign({ jku: 'http://127.0.0.1:9/jwks.json' }),
      'embedded jwk': async () => reSign({ jwk: await exportJWK(attacker.publicKey) }),
      'tampered payload (another user)': () => {
        const [h, p, s] = parts();
        return `${h}.${b64({ ...decode(p), sub: '0'.repeat(24), _id: '0'.repeat(24) })}.${s}`;
      },
      'stripped signature': () => `${parts()[0]}.${parts()[1]}.`,
      'JWS JSON serialisation': () =>
        JSON.stringify({ protected: parts()[0], payload: parts()[1], signature: parts()[2] }),
      'missing exp': () => signGenuine({ exp: undefined }),
      'expired beyond the skew': () =>
        signGenuine({ exp: Math.floor(server.clock.now() / 1000) - server.config.clockSkewSeconds - 2 }),
      'wrong iss': () => signGenuine({ iss: 'feathers' }),
      'Feathers default aud': () => signGenuine({ aud: 'https://yourdomain.com' }),
      'missing aud': () => signGenuine({ aud: undefined }),
      'missing sid': () => signGenuine({ sid: undefined }),
      'unknown crit': () => signGenuine({}, { crit: ['x-test'], 'x-test': true }),
      'no typ': () => signGenuine({}, { typ: undefined }),
      'another kind (rpc-token typ)': () => signGenuine({}, { typ: 'rpc-token+jwt' }),
      'another kind (spa-access typ)': () => signGenuine({}, { typ: 'spa-access+jwt' }),
      'Feathers typ "access"': () => signGenuine({}, { typ: 'access' }),
      garbage: () => 'not.a.token',
      'huge token': () => `${'a'.repeat(20_000)}.b.c`,
    };

    test('the genuine token is accepted (so the refusals below mean something)', async () => {
      assert.equal(await PROBES['/authentication (jwt)']!(server, good), true);
      assert.equal(await PROBES['/authentication (jwt)']!(server, signGenuine({})), true);
    });

    for (const [name, forge] of Object.entries(forgeries)) {
      test(name, async () => {
        const token = await forge();
        for (const [route, probe] of Object.entries(PROBES)) {
          assert.equal(await probe(server, token), false, `${route} accepted a token with ${name}`);
        }
      });
    }
  });
}
