import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import fc from 'fast-check';
import { RPC_METHODS } from '../../src/http/dialects/rpc/index.js';
import { backends } from '../helpers/backends.js';
import { bearer, signIn } from '../helpers/rpc.js';
import { seedUser, startTestServer, type TestServer } from '../helpers/server.js';

/** JSON-ish values with the shapes that break parsers and validators. */
const hostileKey = fc.constantFrom(
  '__proto__',
  'constructor',
  'prototype',
  'user',
  'password',
  'token',
  'id',
  'projection',
  'emails',
  '',
);
const leaf = fc.oneof(
  fc.string(),
  fc.string({ unit: 'grapheme', maxLength: 50 }),
  fc.integer(),
  fc.double(),
  fc.boolean(),
  fc.constant(null),
  fc.constant('x'.repeat(20_000)),
  fc.constant('0'.repeat(24)),
);
const hostileValue = fc.letrec((tie) => ({
  value: fc.oneof(
    { depthSize: 'small' },
    leaf,
    fc.array(tie('value'), { maxLength: 4 }),
    fc.dictionary(fc.oneof(hostileKey, fc.string()), tie('value'), { maxKeys: 5 }),
  ),
})).value;

/** A body that names a method's real fields with hostile values, so validation paths past the first check get exercised. */
const nearlyValidBody = fc.record(
  {
    user: hostileValue,
    password: hostileValue,
    token: hostileValue,
    id: hostileValue,
    projection: hostileValue,
    emails: hostileValue,
    secondaryAuthFactor: hostileValue,
  },
  { requiredKeys: [] },
);

const rawBodies = fc.oneof(
  hostileValue.map((v) => JSON.stringify(v)),
  nearlyValidBody.map((v) => JSON.stringify(v)),
  fc.string(),
  fc.constant('{"a":'),
  fc.constant('{"__proto__":{"polluted":true}}'),
  fc.constant('{"constructor":{"prototype":{"polluted":true}}}'),
  fc.constant(`${'['.repeat(5000)}${']'.repeat(5000)}`),
  fc.uint8Array({ maxLength: 200 }).map((bytes) => Buffer.from(bytes).toString('latin1')),
  fc.constant(''),
);
const contentTypes = fc.constantFrom(
  'application/json',
  'application/json; charset=utf-8',
  'text/plain',
  'application/x-www-form-urlencoded',
  'multipart/form-data; boundary=x',
  undefined,
);

for (const backend of (await backends()).slice(0, 1)) {
  describe(`fuzzing every rpc method (${backend.name})`, () => {
    let server: TestServer;
    let token: string;
    before(async () => {
      server = await startTestServer(backend);
      const user = await seedUser(server, { superuser: true });
      token = await signIn(server, user.username!, user.password);
    });
    after(async () => server.close());

    test('random bodies, types and content types never produce a 5xx, a crash or a foreign error shape', async () => {
      await fc.assert(
        fc.asyncProperty(
          fc.constantFrom(...RPC_METHODS.map((m) => m.name)),
          rawBodies,
          contentTypes,
          fc.boolean(),
          async (method, payload, contentType, authenticated) => {
            const headers: Record<string, string> = authenticated ? bearer(token) : {};
            if (contentType) headers['content-type'] = contentType;
            const res = await server.inject({ method: 'POST', url: `/api/${method}`, headers, payload });
            assert.ok(res.statusCode < 500, `${method} answered ${res.statusCode}: ${res.body}`);
            const body = JSON.parse(res.body) as Record<string, unknown>;
            if (res.statusCode === 200) {
              assert.equal(typeof body['ok'], 'boolean', `envelope expected: ${res.body}`);
            } else {
              // HTTP-level refusals (400 malformed JSON, 413, 415) use the Fastify/Boom shape.
              assert.deepEqual(Object.keys(body).sort(), ['error', 'message', 'statusCode'], res.body);
              assert.equal(body['statusCode'], res.statusCode);
            }
            assert.equal(({} as Record<string, unknown>)['polluted'], undefined, 'prototype pollution');
          },
        ),
        { numRuns: 600 },
      );
    });

    test('a body over the limit gets 413 in the Fastify shape', async () => {
      const res = await server.inject({
        method: 'POST',
        url: '/api/session.issueToken',
        headers: { 'content-type': 'application/json' },
        payload: JSON.stringify({ user: 'x', password: 'p'.repeat(server.config.bodyLimitBytes) }),
      });
      assert.equal(res.statusCode, 413);
      assert.equal((JSON.parse(res.body) as { statusCode: number }).statusCode, 413);
    });

    test('invalid UTF-8 in a JSON body is a clean refusal', async () => {
      const payload = Buffer.concat([
        Buffer.from('{"user":"'),
        Buffer.from([0xc3, 0x28, 0xff]),
        Buffer.from('","password":"abcdefgh"}'),
      ]);
      const res = await server.inject({
        method: 'POST',
        url: '/api/session.issueToken',
        headers: { 'content-type': 'application/json' },
        payload,
      });
      assert.ok(res.statusCode < 500);
      const body = JSON.parse(res.body) as { ok?: boolean; error?: { code: number } };
      assert.equal(body.ok, false);
      assert.equal(body.error?.code, 10002);
    });
  });
}
