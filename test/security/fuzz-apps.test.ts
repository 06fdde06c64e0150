import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import fc from 'fast-check';
import { ACTIVATE, EJECT, ENROLL, mfaLogin, RECOVERY_CODES } from '../apps/mfa-support.js';
import { createApp, readyLogin, signIn, startAppsServer } from '../apps/support.js';
import { backends } from '../helpers/backends.js';
import { hostileBodies } from '../helpers/fuzz.js';
import type { TestServer } from '../helpers/server.js';

/** Every route of the apps dialect, under /api/v2/apps/{owner}/{app}. */
const ROUTES = [
  '/auth/login',
  '/auth/refresh',
  '/auth/logout',
  '/users',
  '/users/change-password',
  '/users/email-code',
  '/users/email-code/verify',
  '/devices',
  ENROLL,
  ACTIVATE,
  EJECT,
  RECOVERY_CODES,
];

const { rawBodies, hostileValue } = hostileBodies({
  keys: [
    'secondaryAuthFactor',
    'type',
    'token',
    'secret',
    'login',
    'password',
    'Login',
    'verifiedEmailToken',
    'displayName',
    'oldPassword',
    'newPassword',
    'email',
    'verificationToken',
    'code',
  ],
  fields: [
    'secondaryAuthFactor',
    'secret',
    'login',
    'password',
    'verifiedEmailToken',
    'displayName',
    'oldPassword',
    'newPassword',
    'email',
    'verificationToken',
    'code',
  ],
  leaves: [
    fc.constant('a@b.co'),
    fc.constant('123456'),
    fc.constant('eyJhbGciOiJub25lIn0.e30.'),
    fc.constant('JBSWY3DPEHPK3PXP'),
    fc.constantFrom('TOTP', 'RECOVERY_CODE', 'PASSWORD'),
  ],
  raw: ['{"login":', 'null'],
});

const contentTypes = fc.constantFrom(
  'application/json',
  'application/json; charset=utf-8',
  'text/plain',
  'application/x-www-form-urlencoded',
  'multipart/form-data; boundary=x',
  undefined,
);
const authorizations = fc.oneof(
  fc.constant<string | null>(null),
  fc.constant('valid'),
  fc.string().map((s) => `Bearer ${s}`),
  fc.string().map((s) => `Basic ${Buffer.from(s).toString('base64')}`),
  fc.string(),
);

const segment = fc.string({ minLength: 1, maxLength: 80 }).filter((s) => s !== '.' && s !== '..');

function assertAppsAnswer(where: string, status: number, body: string): void {
  assert.ok(status < 500, `${where} answered ${status}: ${body}`);
  if (status >= 400) {
    const parsed = JSON.parse(body) as Record<string, unknown>;
    assert.deepEqual(Object.keys(parsed), ['status', 'message'], `${where}: ${body}`);
    assert.equal(parsed['status'], status, `${where}: ${body}`);
    assert.equal(typeof parsed['message'], 'string');
  }
}

for (const backend of (await backends()).slice(0, 1)) {
  describe(`fuzzing every apps route (${backend.name})`, () => {
    let server: TestServer;
    let token: string;
    before(async () => {
      server = await startAppsServer(backend);
      const app = await createApp(server, 'fuzz/app');
      await readyLogin(server, app, 'fuzzer', 'fuzzer-password-1');
      token = await signIn(server, 'fuzz/app', 'fuzzer', 'fuzzer-password-1');
    });
    after(async () => server.close());

    test('random bodies, content types and Authorization headers never produce a 5xx, a crash or another error shape', async () => {
      await fc.assert(
        fc.asyncProperty(
          fc.constantFrom(...ROUTES),
          rawBodies,
          contentTypes,
          authorizations,
          async (route, payload, contentType, authorization) => {
            const headers: Record<string, string> = {};
            if (contentType) headers['content-type'] = contentType;
            // Sign-out with the valid token would end the session every later case relies on.
            if (authorization === 'valid') {
              if (route !== '/auth/logout') headers['authorization'] = `Bearer ${token}`;
            } else if (authorization !== null) headers['authorization'] = authorization;
            const res = await server.inject({
              method: 'POST',
              url: `/api/v2/apps/fuzz/app${route}`,
              headers,
              payload,
            });
            assertAppsAnswer(route, res.statusCode, res.body);
            assert.equal(({} as Record<string, unknown>)['polluted'], undefined, 'prototype pollution');
          },
        ),
        { numRuns: 800 },
      );
    });

    test('random {owner}/{app} path segments are a 400 (or a 404 for paths that match no route), never a 5xx', async () => {
      await fc.assert(
        fc.asyncProperty(
          // `.` and `..` are dot-segments: URL parsing removes them before any server sees them.
          segment,
          segment,
          fc.constantFrom(...ROUTES),
          async (owner, name, route) => {
            const res = await server.inject({
              method: 'POST',
              url: `/api/v2/apps/${encodeURIComponent(owner)}/${encodeURIComponent(name)}${route}`,
              headers: { 'content-type': 'application/json' },
              payload: '{}',
            });
            assert.ok(res.statusCode < 500, `${owner}/${name}: ${res.statusCode} ${res.body}`);
            if (res.statusCode !== 404)
              assertAppsAnswer(`${owner}/${name}${route}`, res.statusCode, res.body);
          },
        ),
        { numRuns: 300 },
      );
    });

    test('hostile second factors after the right password (login) or with a valid token (eject, recovery codes) of a login with MFA: never a 5xx', async () => {
      // An app of its own: the throttling the other cases cause does not stop these before the factor is read.
      const app = await createApp(server, 'fuzz/mfa');
      const ada = await mfaLogin(server, app, 'fuzz/mfa', 'ada');
      const factors = fc.oneof(
        hostileValue,
        fc.record({
          type: fc.oneof(hostileValue, fc.constantFrom('TOTP', 'RECOVERY_CODE', 'PASSWORD')),
          token: hostileValue,
        }),
      );
      await fc.assert(
        fc.asyncProperty(
          fc.constantFrom('/auth/login', EJECT, RECOVERY_CODES),
          factors,
          async (route, factor) => {
            const login = route === '/auth/login';
            const res = await server.inject({
              method: 'POST',
              url: `/api/v2/apps/fuzz/mfa${route}`,
              headers: {
                'content-type': 'application/json',
                ...(login ? {} : { authorization: `Bearer ${ada.token}` }),
              },
              payload: JSON.stringify({
                ...(login ? { login: ada.login, password: ada.password } : {}),
                secondaryAuthFactor: factor,
              }),
            });
            assertAppsAnswer(route, res.statusCode, res.body);
            // 413: a hostile value can be larger than the body limit.
            assert.ok(
              [400, 401, 413, 429].includes(res.statusCode),
              `${route}: ${res.statusCode} ${res.body}`,
            );
          },
        ),
        { numRuns: 300 },
      );
    });

    test('a body over the limit is a 413 in the error object', async () => {
      for (const route of ROUTES) {
        const res = await server.inject({
          method: 'POST',
          url: `/api/v2/apps/fuzz/app${route}`,
          headers: { 'content-type': 'application/json' },
          payload: JSON.stringify({ login: 'x', password: 'p'.repeat(server.config.bodyLimitBytes) }),
        });
        assert.equal(res.statusCode, 413, route);
        assertAppsAnswer(route, res.statusCode, res.body);
      }
    });

    test('invalid UTF-8 in a JSON body is a clean refusal', async () => {
      const payload = Buffer.concat([
        Buffer.from('{"login":"'),
        Buffer.from([0xc3, 0x28, 0xff]),
        Buffer.from('","password":"abcdefgh"}'),
      ]);
      const res = await server.inject({
        method: 'POST',
        url: '/api/v2/apps/fuzz/app/auth/login',
        headers: { 'content-type': 'application/json' },
        payload,
      });
      assert.equal(res.statusCode, 401);
      assertAppsAnswer('/auth/login', res.statusCode, res.body);
    });
  });
}
