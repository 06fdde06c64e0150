import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { spaSettings } from '../../src/config/spa.js';
import { startAppsServer } from '../apps/support.js';
import { backends } from '../helpers/backends.js';
import { type Operation, routeTable } from '../helpers/route-table.js';
import { type FlowServer, type Recorder, runSecretFlows } from '../helpers/secret-flows/index.js';
import {
  assertCookie,
  assertNoStore,
  assertSecurityHeaders,
  type CookieRule,
  isHtml,
  type Probe,
  setCookies,
  sweep,
} from './hygiene-support.js';

const OWN = 'https://auth.example.test';
const ALLOWED = 'https://app.example.test';
const FOREIGN = [
  'https://evil.example',
  'null',
  'https://app.example.test.evil.example',
  'http://app.example.test',
];

/** The answers that set a cookie, which the flows must reach (the document does not say which do). */
const COOKIE_SETTERS = [
  'POST /api/session.setCookie',
  'POST /api/session.refreshCookie',
  'POST /api/session.destroyCookie',
  'POST /api/user.info',
  'POST /login',
  'POST /login/alias',
  'POST /login/token',
  'POST /login/verify',
  'POST /refresh',
  'POST /logout',
];

const [sqlite] = await backends();

// Headers are set by the HTTP layer, whatever the store: SQLite alone is enough here.
describe('HTTP hygiene of every route of every dialect', () => {
  let server: FlowServer;
  let table: Operation[];
  let flows: Recorder;
  let anonymous: Probe[];
  before(async () => {
    server = await startAppsServer(sqlite!, {
      overrides: { publicUrl: OWN, 'spa.allowedOrigins': [ALLOWED], 'cookie.secure': true },
    });
    table = await routeTable(server.app);
    flows = await runSecretFlows(server);
    anonymous = await sweep(server.app, table);
  });
  after(async () => server.close());

  const key = (o: Operation) => `${o.method} ${o.template}`;

  test('the route table is the whole API of every dialect', () => {
    assert.ok(table.length >= 90, `${table.length} operations`);
    for (const tag of ['operations', 'admin', 'rpc', 'apps', 'spa', 'feathers', 'pages']) {
      assert.ok(
        table.some((o) => o.tags.includes(tag)),
        `routes tagged ${tag}`,
      );
    }
    const secretBearing = table.filter((o) => o.secretFields.length > 0).map(key);
    for (const known of [
      'POST /login',
      'POST /api/session.issueToken',
      'POST /auth/login',
      'POST /admin/login-links',
    ]) {
      assert.ok(secretBearing.includes(known), `${known} is found to answer a secret`);
    }
    assert.ok(anonymous.length >= table.length * 4, 'every path was swept with every verb');
  });

  test('every route that answers a token or secret was reached for real, and said no-store', () => {
    for (const operation of table.filter((o) => o.secretFields.length > 0 || o.html)) {
      const reached = flows.exchanges.filter(
        (e) => e.operation === key(operation) && e.res.statusCode >= 200 && e.res.statusCode < 300,
      );
      const swept = anonymous.some(
        (p) => p.method === operation.method && p.path === operation.path && isHtml(p.res),
      );
      // An HTML page without a secret (verify-email, accept-invitation) may be covered by its error page alone.
      if (operation.secretFields.length > 0 || !swept) {
        assert.ok(
          reached.length > 0,
          `${key(operation)} (${operation.secretFields.join(', ')}) has no flow in test/helpers/secret-flows`,
        );
      }
    }
    for (const e of flows.exchanges) assertNoStore(`${e.operation} → ${e.res.statusCode}`, '', e.res);
  });

  test('every answer of every route, success or error, says no-store (the public keys aside)', () => {
    for (const p of anonymous) assertNoStore(p.where, p.path, p.res);
    const jwks = anonymous.find((p) => p.path === '/.well-known/jwks.json' && p.method === 'GET');
    assert.match(String(jwks?.res.headers['cache-control']), /^public, max-age=\d+$/);
  });

  test('every answer of every route names its request id, so a client can quote it to an operator', () => {
    for (const p of anonymous)
      assert.match(
        String(p.res.headers['x-request-id']),
        /^[A-Za-z0-9_.:-]{1,64}$/,
        `${p.where}: x-request-id`,
      );
  });

  test('a well-formed x-request-id sent by the client is echoed; a malformed one is replaced', async () => {
    const given = await server.inject({
      method: 'GET',
      url: '/api/ping',
      headers: { 'x-request-id': 'trace-42' },
    });
    assert.equal(given.headers['x-request-id'], 'trace-42');
    const missing = await server.inject({
      method: 'GET',
      url: '/no/such/route',
      headers: { 'x-request-id': 'trace-43' },
    });
    assert.equal(missing.statusCode, 404);
    assert.equal(missing.headers['x-request-id'], 'trace-43');
    const bad = await server.inject({
      method: 'GET',
      url: '/api/ping',
      headers: { 'x-request-id': 'a b<script>' },
    });
    assert.match(String(bad.headers['x-request-id']), /^[0-9a-f-]{36}$/);
  });

  test('every answer says nosniff; every HTML page has a strict CSP, no framing and a Referrer-Policy', () => {
    const all = [
      ...anonymous,
      ...flows.exchanges.map((e) => ({ where: e.operation, path: e.operation.split(' ')[1]!, res: e.res })),
    ];
    for (const { where, res } of all) assertSecurityHeaders(where, res);
    // The pages the checks above must have seen: the docs, the rpc mail pages, the hosted MFA page.
    for (const page of [
      '/docs',
      '/verify-email',
      '/reset-password',
      '/accept-invitation',
      '/mfa/challenge',
    ]) {
      assert.ok(
        all.some((p) => p.path === page && isHtml(p.res)),
        `an HTML answer of ${page}`,
      );
    }
  });

  test('an unconfigured origin gets no CORS headers, on a simple request or a preflight, on any route', async () => {
    for (const origin of FOREIGN) {
      const simple = await sweep(server.app, table, { origin }, ['GET', 'POST']);
      const preflight = await sweep(
        server.app,
        table,
        {
          origin,
          'access-control-request-method': 'POST',
          'access-control-request-headers': 'content-type',
        },
        ['OPTIONS'],
      );
      for (const p of [...simple, ...preflight]) {
        assert.equal(p.res.headers['access-control-allow-origin'], undefined, `${p.where} from ${origin}`);
        assert.equal(
          p.res.headers['access-control-allow-credentials'],
          undefined,
          `${p.where} from ${origin}`,
        );
      }
    }
  });

  test('a configured origin gets exactly itself with credentials on the spa routes, and nothing elsewhere', async () => {
    const spaPaths = new Set(table.filter((o) => o.tags.includes('spa')).map((o) => o.path));
    assert.ok(spaPaths.size >= 6, 'the spa routes are in the table');
    const simple = await sweep(server.app, table, { origin: ALLOWED });
    const preflight = await sweep(
      server.app,
      table,
      {
        origin: ALLOWED,
        'access-control-request-method': 'POST',
        'access-control-request-headers': 'content-type',
      },
      ['OPTIONS'],
    );
    for (const p of [...simple, ...preflight]) {
      const allowOrigin = p.res.headers['access-control-allow-origin'];
      if (!spaPaths.has(p.path)) {
        assert.equal(allowOrigin, undefined, `${p.where}: only the spa routes answer CORS`);
        continue;
      }
      assert.match(String(p.res.headers['vary']), /(^|,\s*)Origin(,|$)/, `${p.where}: Vary: Origin`);
      if (p.method === 'POST' || p.method === 'OPTIONS') {
        assert.equal(allowOrigin, ALLOWED, `${p.where}: the origin itself, never *`);
        assert.equal(p.res.headers['access-control-allow-credentials'], 'true', p.where);
      }
      if (p.method === 'OPTIONS') assert.equal(p.res.statusCode, 204, p.where);
      else assert.notEqual(allowOrigin, '*', p.where);
    }
  });

  test('every cookie of every dialect has its documented flags, and sign-out clears it', () => {
    const spa = spaSettings(server.config);
    const rules: Record<string, CookieRule> = {
      [server.config.cookie.name]: { path: '/', secure: true, sameSite: 'Lax', domain: null },
      [spa.cookie.name]: { path: spa.cookie.path, secure: true, sameSite: 'Lax', domain: null },
      // The device token (docs/deploy.md, "Sign-in throttling"): host-only, the whole site, never cleared.
      latchkey_device: { path: '/', secure: true, sameSite: 'Lax', domain: null },
    };
    const seen = new Map<string, Set<string>>();
    for (const e of flows.exchanges) {
      for (const cookie of setCookies(e.res)) {
        const kind = assertCookie(e.operation, cookie, rules, server.clock.now());
        seen.set(
          `${cookie.name} ${kind}`,
          new Set([...(seen.get(`${cookie.name} ${kind}`) ?? []), e.operation]),
        );
      }
    }
    for (const p of anonymous) {
      for (const cookie of setCookies(p.res)) assertCookie(p.where, cookie, rules, server.clock.now());
    }
    const setters = new Set([...seen.values()].flatMap((s) => [...s]));
    for (const operation of COOKIE_SETTERS)
      assert.ok(setters.has(operation), `${operation} set or cleared a cookie`);
    assert.deepEqual(
      seen.get(`${server.config.cookie.name} cleared`),
      new Set(['POST /api/session.destroyCookie']),
    );
    assert.deepEqual(seen.get(`${spa.cookie.name} cleared`), new Set(['POST /logout']));
  });
});

describe('cookie flags follow the configuration (plain-http development, a prefix, a domain)', () => {
  let server: FlowServer;
  before(async () => {
    server = await startAppsServer(sqlite!, {
      overrides: {
        publicUrl: 'http://localhost:8080',
        'cookie.secure': false,
        'cookie.sameSite': 'strict',
        'cookie.domain': 'localhost',
        'spa.prefix': '/spa',
        'spa.cookie.secure': false,
        'spa.cookie.sameSite': 'strict',
      },
    });
  });
  after(async () => server.close());

  test('no Secure, the configured SameSite, Domain and Path, on every Set-Cookie', async () => {
    const flows = await runSecretFlows(server);
    const rules: Record<string, CookieRule> = {
      session: { path: '/', secure: false, sameSite: 'Strict', domain: 'localhost' },
      it24_refresh_token: { path: '/spa', secure: false, sameSite: 'Strict', domain: null },
      latchkey_device: { path: '/', secure: false, sameSite: 'Strict', domain: null },
    };
    let count = 0;
    for (const e of flows.exchanges) {
      for (const cookie of setCookies(e.res)) {
        assertCookie(e.operation, cookie, rules, server.clock.now());
        count++;
      }
    }
    assert.ok(count >= 10, `${count} cookies checked`);
  });
});
