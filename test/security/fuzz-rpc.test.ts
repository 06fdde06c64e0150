import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import fc from 'fast-check';
import { RPC_METHODS } from '../../src/http/dialects/rpc/index.js';
import { backends } from '../helpers/backends.js';
import { hostileBodies } from '../helpers/fuzz.js';
import { bearer, signIn } from '../helpers/rpc.js';
import { seedUser, startTestServer, type TestServer } from '../helpers/server.js';

/** JSON-ish values with the shapes that break parsers and validators. */
const { rawBodies } = hostileBodies({
  keys: ['user', 'password', 'token', 'id', 'projection', 'emails'],
  fields: ['user', 'password', 'token', 'id', 'projection', 'emails', 'secondaryAuthFactor'],
  leaves: [fc.constant('0'.repeat(24))],
});

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
