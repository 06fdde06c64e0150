import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { backends } from '../helpers/backends.js';
import { seedUser, startTestServer, type TestServer } from '../helpers/server.js';
import { fromManyClients } from '../rpc/support.js';
import { refreshCookie, signInSpa, spa, withCookie } from './support.js';

const APP_ORIGIN = 'https://survey.example.org';
const OWN_ORIGIN = 'https://auth.example.org';
const REFUSED = { message: 'Cross-site request refused' };
const ROUTES = ['/login', '/login/alias', '/login/token', '/login/verify', '/refresh', '/logout'];

for (const backend of (await backends()).slice(0, 1)) {
  describe(`spa cross-site protection and CORS (${backend.name})`, () => {
    let server: TestServer;
    let user: Awaited<ReturnType<typeof seedUser>>;
    before(async () => {
      server = fromManyClients(
        await startTestServer(backend, {
          overrides: { publicUrl: OWN_ORIGIN, 'spa.allowedOrigins': [APP_ORIGIN] },
        }),
      );
      user = await seedUser(server);
    });
    after(async () => server.close());

    const login = () => ({ email: user.emails[0]!.address, password: user.password });

    test('a foreign Origin is refused with 403 on every POST, before anything is looked at', async () => {
      const { refresh, accessToken } = await signInSpa(server, user);
      for (const origin of [
        'https://evil.example',
        'null',
        'https://survey.example.org.evil.example',
        'http://survey.example.org',
      ]) {
        for (const path of ROUTES) {
          const res = await spa(server, path, path === '/login' ? login() : {}, {
            origin,
            ...withCookie(refresh),
          });
          assert.equal(res.status, 403, `${origin} ${path}`);
          assert.deepEqual(res.body, REFUSED);
          assert.equal(res.headers['set-cookie'], undefined, 'no cookie set or cleared');
          assert.equal(res.headers['access-control-allow-origin'], undefined);
        }
      }
      // The cross-site logout attempt above did nothing.
      const still = await spa(server, '/refresh', undefined, withCookie(refresh));
      assert.equal(still.status, 200);
      assert.ok(accessToken);
    });

    test('Fetch Metadata: cross-site or same-site without an allowed Origin is refused; same-origin passes', async () => {
      for (const site of ['cross-site', 'same-site']) {
        const res = await spa(server, '/login', login(), { 'sec-fetch-site': site });
        assert.equal(res.status, 403, site);
        assert.deepEqual(res.body, REFUSED);
      }
      const sibling = await spa(server, '/login', login(), {
        'sec-fetch-site': 'same-site',
        origin: 'https://other.example.org',
      });
      assert.equal(sibling.status, 403, 'a sibling subdomain is not trusted unless listed');
      const same = await spa(server, '/login', login(), {
        'sec-fetch-site': 'same-origin',
        origin: OWN_ORIGIN,
      });
      assert.equal(same.status, 200);
      assert.equal(same.headers['access-control-allow-origin'], undefined, 'no CORS for our own origin');
      // Behind a proxy publicUrl may not match what the browser saw: Fetch Metadata still vouches.
      const proxied = await spa(server, '/login', login(), {
        'sec-fetch-site': 'same-origin',
        origin: 'https://internal-name:8443',
      });
      assert.equal(proxied.status, 200);
      const typed = await spa(server, '/login', login(), { 'sec-fetch-site': 'none' });
      assert.equal(typed.status, 200);
    });

    test('without Origin and Fetch Metadata (not a browser: curl, a server) the request passes', async () => {
      const res = await spa(server, '/login', login());
      assert.equal(res.status, 200);
    });

    test('only JSON: form, text and multipart bodies are refused with 403 (the simple requests a page can forge)', async () => {
      for (const type of [
        'text/plain',
        'application/x-www-form-urlencoded',
        'multipart/form-data; boundary=x',
        'application/json-patch+json',
        'text/html',
      ]) {
        for (const path of ROUTES) {
          const res = await server.inject({
            method: 'POST',
            url: path,
            headers: { 'content-type': type },
            payload: JSON.stringify(login()),
          });
          assert.equal(res.statusCode, 403, `${type} ${path}`);
          assert.deepEqual(res.json(), REFUSED);
        }
      }
      // An empty POST without a content type (fetch('/refresh', {method: 'POST'})) is fine.
      const bare = await server.inject({ method: 'POST', url: '/logout' });
      assert.equal(bare.statusCode, 200);
    });

    test('an allowed origin gets credentialed CORS on every answer, errors included; Vary names what was read', async () => {
      const ok = await spa(server, '/login', login(), { origin: APP_ORIGIN, 'sec-fetch-site': 'cross-site' });
      assert.equal(ok.status, 200);
      assert.equal(ok.headers['access-control-allow-origin'], APP_ORIGIN);
      assert.equal(ok.headers['access-control-allow-credentials'], 'true');
      assert.match(String(ok.headers['vary']), /Origin/);
      assert.match(String(ok.headers['vary']), /Sec-Fetch-Site/);
      const refresh = refreshCookie(ok)!.value;
      const refreshed = await spa(server, '/refresh', undefined, {
        origin: APP_ORIGIN,
        ...withCookie(refresh),
      });
      assert.equal(refreshed.status, 200);
      assert.equal(refreshed.headers['access-control-allow-origin'], APP_ORIGIN);
      const failed = await spa(server, '/refresh', undefined, { origin: APP_ORIGIN });
      assert.equal(failed.status, 401);
      assert.equal(failed.headers['access-control-allow-origin'], APP_ORIGIN, 'the SPA can read why');
      const out = await spa(server, '/logout', undefined, { origin: APP_ORIGIN });
      assert.equal(out.status, 200);
      assert.equal(out.headers['access-control-allow-credentials'], 'true');
    });

    test('preflight: 204 with the allowed origin, POST and Content-Type; anything else 403 without CORS headers', async () => {
      for (const path of ROUTES) {
        const res = await server.inject({
          method: 'OPTIONS',
          url: path,
          headers: {
            origin: APP_ORIGIN,
            'access-control-request-method': 'POST',
            'access-control-request-headers': 'content-type',
          },
        });
        assert.equal(res.statusCode, 204, path);
        assert.equal(res.headers['access-control-allow-origin'], APP_ORIGIN);
        assert.equal(res.headers['access-control-allow-credentials'], 'true');
        assert.equal(res.headers['access-control-allow-methods'], 'POST');
        assert.equal(res.headers['access-control-allow-headers'], 'Content-Type');
        assert.match(String(res.headers['vary']), /Origin/);
      }
      for (const headers of [
        { origin: 'https://evil.example', 'access-control-request-method': 'POST' },
        { origin: 'null', 'access-control-request-method': 'POST' },
        { origin: APP_ORIGIN, 'access-control-request-method': 'DELETE' },
        { 'access-control-request-method': 'POST' },
      ]) {
        const res = await server.inject({ method: 'OPTIONS', url: '/refresh', headers });
        assert.equal(res.statusCode, 403, JSON.stringify(headers));
        assert.equal(res.headers['access-control-allow-origin'], undefined);
        assert.equal(res.headers['access-control-allow-credentials'], undefined);
      }
    });

    test('other verbs are 405 with Allow: POST, OPTIONS (no state change on GET)', async () => {
      for (const path of ROUTES) {
        const res = await server.inject({ method: 'GET', url: path });
        assert.equal(res.statusCode, 405, path);
        assert.equal(res.headers['allow'], 'POST, OPTIONS');
      }
    });
  });
}
