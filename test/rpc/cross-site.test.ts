import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { backends } from '../helpers/backends.js';
import { bearer, rpc, signIn } from '../helpers/rpc.js';
import { seedUser, startTestServer, type TestServer } from '../helpers/server.js';
import {
  assertOk,
  assertRpcError,
  cookieHeader,
  fromManyClients,
  jwtPayload,
  signInCookie,
} from './support.js';

const OWN = 'https://auth.example.test';
const EVIL = { origin: 'https://evil.example', 'sec-fetch-site': 'cross-site' };
/** What a browser sends from a sibling subdomain that shares the cookie's Domain. */
const SIBLING = { origin: 'https://app.auth.example.test', 'sec-fetch-site': 'same-site' };
const FORBIDDEN = [10012, 'Cross-site request refused'] as const;

/**
 * The rpc session cookie is ambient: SameSite=Lax alone would protect it, and a sibling
 * subdomain, SameSite=None or a shared cookie.domain undo that. Every request that
 * carries the cookie, and the sign-in that sets it, passes the Origin / Fetch Metadata
 * check of the spa dialect (http/cross-site.ts).
 */
const [sqlite] = await backends();

describe('rpc: cross-site requests with the session cookie are refused', () => {
  let server: TestServer;
  before(async () => {
    server = fromManyClients(
      await startTestServer(sqlite!, {
        overrides: { publicUrl: OWN, 'cookie.sameSite': 'none', 'cookie.secure': true },
      }),
    );
  });
  after(() => server.close());

  const live = async (cookie: string) =>
    !server.services.sessions.isRevoked(jwtPayload(cookie)['sid'] as string) &&
    (await server.services.repos.sessions.findSession(jwtPayload(cookie)['sid'] as string))?.revokedAt ===
      null;

  test('destroyCookie from another site does not end the session', async () => {
    const user = await seedUser(server);
    const { cookie } = await signInCookie(server, user.username!, user.password);
    const foreign: Array<Record<string, string>> = [
      EVIL,
      SIBLING,
      { 'sec-fetch-site': 'cross-site' },
      { origin: 'null' },
    ];
    for (const headers of foreign) {
      const res = await rpc(server, 'session.destroyCookie', {}, { ...cookieHeader(cookie), ...headers });
      assertRpcError(res, ...FORBIDDEN);
      assert.equal(res.headers['set-cookie'], undefined, 'the cookie is not cleared');
    }
    assert.equal(await live(cookie), true, 'the session survived');
    // The same call from the own origin ends it.
    const own = await rpc(server, 'session.destroyCookie', {}, { ...cookieHeader(cookie), origin: OWN });
    assertOk(own);
    assert.equal(await live(cookie), false);
  });

  test('refreshCookie from another site does not rotate the cookie', async () => {
    const user = await seedUser(server);
    const { cookie } = await signInCookie(server, user.username!, user.password);
    const res = await rpc(server, 'session.refreshCookie', {}, { ...cookieHeader(cookie), ...EVIL });
    assertRpcError(res, ...FORBIDDEN);
    assert.equal(res.headers['set-cookie'], undefined, 'no new cookie');
    const same = await rpc(
      server,
      'session.refreshCookie',
      {},
      { ...cookieHeader(cookie), origin: 'https://proxy-renamed.example', 'sec-fetch-site': 'same-origin' },
    );
    assertOk(same);
  });

  test('any other method carrying the cookie is refused cross-site, and answers from the own origin', async () => {
    const user = await seedUser(server);
    const { cookie } = await signInCookie(server, user.username!, user.password);
    assertRpcError(await rpc(server, 'user.info', {}, { ...cookieHeader(cookie), ...EVIL }), ...FORBIDDEN);
    assertOk(await rpc(server, 'user.info', {}, { ...cookieHeader(cookie), origin: OWN }));
    // No browser headers at all: curl or a server, nothing ambient to abuse.
    assertOk(await rpc(server, 'user.info', {}, cookieHeader(cookie)));
  });

  test('setCookie from another site is refused (login CSRF)', async () => {
    const user = await seedUser(server);
    const res = await rpc(
      server,
      'session.setCookie',
      { user: user.username, password: user.password },
      EVIL,
    );
    assertRpcError(res, ...FORBIDDEN);
    assert.equal(res.headers['set-cookie'], undefined);
  });

  test('a bearer token is not ambient: cross-site headers do not matter', async () => {
    const user = await seedUser(server);
    const token = await signIn(server, user.username!, user.password);
    assertOk(await rpc(server, 'user.info', {}, { ...bearer(token), ...EVIL }));
    assertOk(await rpc(server, 'session.destroyToken', { token }, EVIL));
  });
});
