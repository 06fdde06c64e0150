import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import fc from 'fast-check';
import { backends } from '../helpers/backends.js';
import { hostileBodies } from '../helpers/fuzz.js';
import { seedUser, startTestServer, type TestServer } from '../helpers/server.js';
import { fromManyClients } from '../rpc/support.js';

const ROUTES = ['/login', '/login/alias', '/login/token', '/login/verify', '/refresh', '/logout'];

/** JSON-ish values with the shapes that break parsers and validators. */
const { rawBodies, nearlyValidBody } = hostileBodies({
  keys: ['email', 'password', 'userName', 'surveyId', 'token', 'sigResponse'],
  fields: ['email', 'password', 'userName', 'surveyId', 'token', 'sigResponse', 'request', 'code'],
  leaves: [fc.constant('0'.repeat(24)), fc.constant('eyJhbGciOiJub25lIn0.e30.')],
});

const contentTypes = fc.constantFrom(
  'application/json',
  'application/json; charset=utf-8',
  'text/plain',
  'application/x-www-form-urlencoded',
  'multipart/form-data; boundary=x',
  undefined,
);
const origins = fc.constantFrom(
  undefined,
  'null',
  'https://evil.example',
  'http://localhost:8080',
  '',
  'ftp://x',
);
const cookies = fc.oneof(
  fc.constant(undefined),
  fc.string(),
  fc.constant(`${'0'.repeat(24)}.${'A'.repeat(43)}`),
  fc.constant('%E0%A4%A'),
  fc.constant('x'.repeat(5000)),
);

function assertSpaShape(route: string, status: number, text: string): void {
  if (status === 200 && route === '/logout') {
    assert.equal(text, '', 'logout answers an empty body');
    return;
  }
  const body = JSON.parse(text) as Record<string, unknown>;
  if (status === 200) {
    const keys = Object.keys(body);
    assert.ok(keys.length === 1 && (keys[0] === 'accessToken' || keys[0] === 'mfa'), text);
  } else if (status === 422) {
    assert.equal(body['success'], false, text);
    assert.equal(typeof body['errors'], 'object', text);
  } else {
    assert.deepEqual(Object.keys(body), ['message'], `${status}: ${text}`);
  }
}

for (const backend of (await backends()).slice(0, 1)) {
  describe(`fuzzing every spa route (${backend.name})`, () => {
    let server: TestServer;
    before(async () => {
      server = fromManyClients(await startTestServer(backend));
      await seedUser(server, { email: 'fuzz@example.com', password: 'correct horse fuzz battery' });
    });
    after(async () => server.close());

    test('random bodies, content types, origins and cookies never produce a 5xx, a crash or a foreign error shape', async () => {
      await fc.assert(
        fc.asyncProperty(
          fc.constantFrom(...ROUTES),
          rawBodies,
          contentTypes,
          origins,
          cookies,
          async (route, payload, contentType, origin, cookie) => {
            const headers: Record<string, string> = {};
            if (contentType) headers['content-type'] = contentType;
            if (origin !== undefined) headers['origin'] = origin;
            if (cookie !== undefined) headers['cookie'] = `it24_refresh_token=${cookie}`;
            const res = await server.inject({ method: 'POST', url: route, headers, payload });
            assert.ok(res.statusCode < 500, `${route} answered ${res.statusCode}: ${res.body}`);
            assertSpaShape(route, res.statusCode, res.body);
            assert.equal(({} as Record<string, unknown>)['polluted'], undefined, 'prototype pollution');
          },
        ),
        { numRuns: 600 },
      );
    });

    test('the MFA routes: random challenges and codes never produce a 5xx', async () => {
      await fc.assert(
        fc.asyncProperty(
          fc.boolean(),
          nearlyValidBody,
          fc.constantFrom('same-origin', 'cross-site', undefined),
          async (api, body, site) => {
            const res = api
              ? await server.inject({
                  method: 'POST',
                  url: '/mfa/challenge/respond',
                  headers: { 'content-type': 'application/json' },
                  payload: JSON.stringify(body),
                })
              : await server.inject({
                  method: 'POST',
                  url: '/mfa/challenge',
                  headers: {
                    'content-type': 'application/x-www-form-urlencoded',
                    ...(site ? { 'sec-fetch-site': site } : {}),
                  },
                  payload: new URLSearchParams(
                    Object.entries(body).map(([k, v]): [string, string] => [
                      k,
                      typeof v === 'string' ? v : JSON.stringify(v),
                    ]),
                  ).toString(),
                });
            assert.ok(res.statusCode < 500, `${res.statusCode}: ${res.body.slice(0, 300)}`);
            if (api || res.statusCode === 413 || res.statusCode === 415) {
              assert.deepEqual(
                Object.keys(res.json() as object).sort(),
                ['error', 'message', 'statusCode'],
                res.body,
              );
            } else {
              assert.match(String(res.headers['content-type']), /^text\/html/);
            }
          },
        ),
        { numRuns: 300 },
      );
    });

    test('a body over the limit gets 413 in the dialect’s {message} shape', async () => {
      const res = await server.inject({
        method: 'POST',
        url: '/login',
        headers: { 'content-type': 'application/json' },
        payload: JSON.stringify({ email: 'x', password: 'p'.repeat(server.config.bodyLimitBytes) }),
      });
      assert.equal(res.statusCode, 413);
      assert.deepEqual(Object.keys(res.json() as object), ['message']);
    });

    test('invalid UTF-8 in a JSON body is a clean refusal', async () => {
      const payload = Buffer.concat([
        Buffer.from('{"email":"'),
        Buffer.from([0xc3, 0x28, 0xff]),
        Buffer.from('","password":"abcdefgh"}'),
      ]);
      const res = await server.inject({
        method: 'POST',
        url: '/login',
        headers: { 'content-type': 'application/json' },
        payload,
      });
      assert.equal(res.statusCode, 401);
      assert.deepEqual(res.json(), { message: 'Provided credentials do not match our records.' });
    });
  });
}
