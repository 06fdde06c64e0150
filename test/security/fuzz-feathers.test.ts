import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import fc from 'fast-check';
import { type FeathersTestServer, feathersUser, login, startFeathersServer } from '../feathers/support.js';
import { backends } from '../helpers/backends.js';
import { hostileBodies } from '../helpers/fuzz.js';

/** JSON-ish values with the shapes that break parsers and validators. */
const { rawBodies } = hostileBodies({
  keys: ['email', 'password', 'token', 'strategy', 'accessToken', 'redirect', 'secondaryAuthFactor'],
  fields: ['email', 'password', 'token', 'strategy', 'accessToken', 'redirect', 'secondaryAuthFactor'],
  leaves: [
    fc.constant('0'.repeat(24)),
    fc.constant('a@b.example'),
    fc.constantFrom('local', 'jwt', 'oauth', ''),
  ],
});

const contentTypes = fc.constantFrom(
  'application/json',
  'application/json; charset=utf-8',
  'text/plain',
  'application/x-www-form-urlencoded',
  'multipart/form-data; boundary=x',
  undefined,
);
const routes = fc.constantFrom(
  ['POST', '/auth/login'],
  ['POST', '/auth/local'],
  ['POST', '/auth/token'],
  ['POST', '/authentication'],
  ['DELETE', '/authentication'],
  ['POST', '/signup'],
  ['PUT', '/auth/login'],
  ['PATCH', '/authentication'],
  ['POST', '/auth/oauth'],
  ['GET', '/auth/token'],
);
/** What a token header may hold: the real token, a variant of it, or rubbish. */
const tokenHeader = (token: string) =>
  fc.oneof(
    fc.constant(undefined),
    fc.constant(`Bearer ${token}`),
    fc.constant(`JWT ${token}`),
    fc.constant(token),
    fc.constant(`Basic ${token}`),
    fc.string({ maxLength: 300 }),
    fc.constant(`Bearer ${token.slice(0, -3)}abc`),
  );

const FEATHERS_KEYS = ['className', 'code', 'errors', 'message', 'name'];

function assertFeathersShape(status: number, body: Record<string, unknown>, raw: string): void {
  const keys = Object.keys(body)
    .filter((k) => k !== 'data')
    .sort();
  assert.deepEqual(keys, FEATHERS_KEYS, `Feathers error shape expected: ${raw.slice(0, 300)}`);
  assert.equal(body['code'], status);
  assert.equal(typeof body['name'], 'string');
  assert.equal(typeof body['message'], 'string');
  assert.equal(typeof body['errors'], 'object');
}

for (const backend of (await backends()).slice(0, 1)) {
  describe(`fuzzing every feathers route (${backend.name})`, () => {
    let server: FeathersTestServer;
    let token: string;
    before(async () => {
      server = await startFeathersServer(backend);
      const user = await feathersUser(server);
      token = await login(server, user.email, user.password);
    });
    after(async () => server.close());

    test('random bodies, content types and token headers never produce a 5xx or a foreign error shape', async () => {
      await fc.assert(
        fc.asyncProperty(
          routes,
          rawBodies,
          contentTypes,
          tokenHeader('TOKEN'),
          fc.constantFrom('authorization', 'authorisation'),
          async ([method, url], payload, contentType, header, headerName) => {
            const headers: Record<string, string> = {};
            if (contentType) headers['content-type'] = contentType;
            if (header !== undefined) headers[headerName] = header.replace('TOKEN', token);
            const res = await server.inject({ method: method as 'POST', url: url!, headers, payload });
            assert.ok(res.statusCode < 500, `${method} ${url} answered ${res.statusCode}: ${res.body}`);
            const body = JSON.parse(res.body) as Record<string, unknown>;
            if (res.statusCode >= 400) assertFeathersShape(res.statusCode, body, res.body);
            else assert.ok([200, 201].includes(res.statusCode), `${res.statusCode}: ${res.body}`);
            assert.equal(({} as Record<string, unknown>)['polluted'], undefined, 'prototype pollution');
          },
        ),
        { numRuns: 500 },
      );
    });

    test('random query strings on GET /activate and /auth/token never produce a 5xx', async () => {
      await fc.assert(
        fc.asyncProperty(
          fc.constantFrom('/activate', '/auth/token'),
          fc.dictionary(
            fc.constantFrom('token', 'redirect', '__proto__', 'x'),
            fc.string({ maxLength: 80 }),
            {
              maxKeys: 3,
            },
          ),
          fc.boolean(),
          async (path, query, repeat) => {
            const qs = new URLSearchParams(query);
            if (repeat && query['token'] !== undefined) qs.append('token', query['token']);
            const res = await server.inject({
              method: path === '/activate' ? 'GET' : 'POST',
              url: `${path}?${qs}`,
            });
            assert.ok(res.statusCode < 500, `${path}?${qs} answered ${res.statusCode}: ${res.body}`);
            if (res.statusCode >= 400) {
              assertFeathersShape(res.statusCode, JSON.parse(res.body) as Record<string, unknown>, res.body);
            }
          },
        ),
        { numRuns: 300 },
      );
    });

    test('a body over the limit is PayloadTooLarge 413; invalid UTF-8 is a clean refusal', async () => {
      const big = await server.inject({
        method: 'POST',
        url: '/auth/login',
        headers: { 'content-type': 'application/json' },
        payload: JSON.stringify({ email: 'x', password: 'p'.repeat(server.config.bodyLimitBytes) }),
      });
      assert.equal(big.statusCode, 413);
      assertFeathersShape(413, JSON.parse(big.body) as Record<string, unknown>, big.body);
      const payload = Buffer.concat([
        Buffer.from('{"email":"'),
        Buffer.from([0xc3, 0x28, 0xff]),
        Buffer.from('@b.example","password":"abcdefgh"}'),
      ]);
      const res = await server.inject({
        method: 'POST',
        url: '/auth/login',
        headers: { 'content-type': 'application/json' },
        payload,
      });
      assert.ok(res.statusCode < 500);
      assertFeathersShape(res.statusCode, JSON.parse(res.body) as Record<string, unknown>, res.body);
    });
  });
}
