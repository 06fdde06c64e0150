import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { backends } from '../helpers/backends.js';
import { bearer, rpc, signIn } from '../helpers/rpc.js';
import { seedUser, startTestServer, type TestServer } from '../helpers/server.js';
import { assertOk, cookieHeader, fromManyClients, signInCookie } from './support.js';

/** Every method the rpc dialect registers; a new one must be added here (and covered elsewhere). */
const METHODS = [
  'session.issueToken',
  'session.setCookie',
  'session.refreshToken',
  'session.refreshCookie',
  'session.destroyToken',
  'session.destroyCookie',
  'user.info',
  'user.create',
  'user.update',
  'user.delete',
  'user.list',
  'user.activate',
  'user.deactivate',
  'totp.enroll',
  'totp.activate',
  'totp.eject',
  'totp.generateRecoveryCodes',
  'user.forgotPassword',
  'user.resetPassword',
  'user.verifyEmail',
  'email.verify',
  'user.assignPermission',
  'user.revokePermission',
  'user.assignRole',
  'user.revokeRole',
  'org.create',
  'org.info',
  'org.update',
  'org.delete',
  'org.list',
  'org.addMember',
  'org.removeMember',
  'permission.create',
  'permission.info',
  'permission.update',
  'permission.delete',
  'permission.list',
  'role.create',
  'role.info',
  'role.update',
  'role.delete',
  'role.list',
  'invitation.create',
  'invitation.accept',
  'invitation.list',
];

for (const backend of await backends()) {
  describe(`rpc over HTTP (${backend.name})`, () => {
    let server: TestServer;
    let prefix: string;
    before(async () => {
      server = fromManyClients(await startTestServer(backend));
      prefix = server.config.rpc.prefix;
    });
    after(async () => server.close());

    test('the registered methods are exactly the covered ones', async () => {
      const { RPC_METHODS } = await import('../../src/http/dialects/rpc/index.js');
      assert.deepEqual(RPC_METHODS.map((m) => m.name).sort(), [...METHODS].sort());
    });

    test('GET /api/ping answers {ping:"pong"} with no-store', async () => {
      const res = await server.inject({ method: 'GET', url: `${prefix}/ping` });
      assert.equal(res.statusCode, 200);
      assert.deepEqual(res.json(), { ping: 'pong' });
      assert.equal(res.headers['cache-control'], 'no-store');
      assert.match(String(res.headers['content-type']), /^application\/json/);
    });

    test('malformed JSON is a real 400 with a Boom body, before authentication', async () => {
      for (const method of ['user.info', 'session.issueToken']) {
        const res = await server.inject({
          method: 'POST',
          url: `${prefix}/${method}`,
          headers: { 'content-type': 'application/json' },
          payload: '{"user": "a", ',
        });
        assert.equal(res.statusCode, 400, method);
        const body = res.json() as Record<string, unknown>;
        assert.equal(body['statusCode'], 400);
        assert.equal(body['error'], 'Bad Request');
        assert.equal(typeof body['message'], 'string');
        assert.equal(body['ok'], undefined, 'not the rpc envelope');
        assert.equal(res.headers['cache-control'], 'no-store');
      }
    });

    test('an unknown method is a real 404', async () => {
      for (const url of [`${prefix}/user.nope`, `${prefix}/nope`, `${prefix}/session.issueToken/extra`]) {
        const res = await server.inject({
          method: 'POST',
          url,
          headers: { 'content-type': 'application/json' },
          payload: '{}',
        });
        assert.equal(res.statusCode, 404, url);
        const body = res.json() as Record<string, unknown>;
        assert.equal(body['statusCode'], 404);
        assert.equal(body['error'], 'Not Found');
        assert.equal(res.headers['cache-control'], 'no-store');
      }
    });

    test('every method answers a wrong verb with 405 and Allow: POST', async () => {
      for (const method of METHODS) {
        for (const verb of ['GET', 'PUT', 'PATCH', 'DELETE'] as const) {
          const res = await server.inject({ method: verb, url: `${prefix}/${method}` });
          assert.equal(res.statusCode, 405, `${verb} ${method}`);
          assert.equal(res.headers['allow'], 'POST');
          assert.equal((res.json() as Record<string, unknown>)['statusCode'], 405);
          assert.equal(res.headers['cache-control'], 'no-store');
        }
      }
    });

    test('a non-JSON content type is a real 415', async () => {
      const user = await seedUser(server);
      for (const contentType of ['text/plain', 'application/x-www-form-urlencoded', 'application/xml']) {
        const res = await server.inject({
          method: 'POST',
          url: `${prefix}/session.issueToken`,
          headers: { 'content-type': contentType },
          payload:
            contentType === 'application/x-www-form-urlencoded'
              ? `user=${user.username}&password=${encodeURIComponent(user.password)}`
              : JSON.stringify({ user: user.username, password: user.password }),
        });
        assert.equal(res.statusCode, 415, contentType);
        assert.equal((res.json() as Record<string, unknown>)['statusCode'], 415);
        assert.equal(res.headers['set-cookie'], undefined);
        assert.equal(res.headers['cache-control'], 'no-store');
      }
      // The same credentials as JSON do sign in (the 415 was about the type alone).
      const ok = await rpc(server, 'session.issueToken', { user: user.username, password: user.password });
      assertOk(ok);
    });

    test('application/json with a charset parameter is accepted', async () => {
      const user = await seedUser(server);
      const res = await server.inject({
        method: 'POST',
        url: `${prefix}/session.issueToken`,
        headers: { 'content-type': 'application/json; charset=utf-8' },
        payload: JSON.stringify({ user: user.username, password: user.password }),
      });
      assert.equal(res.statusCode, 200);
      assert.equal((res.json() as Record<string, unknown>)['ok'], true);
    });

    test('a body over the limit is a real 413', async () => {
      const limit = server.config.bodyLimitBytes;
      const res = await server.inject({
        method: 'POST',
        url: `${prefix}/session.issueToken`,
        headers: { 'content-type': 'application/json' },
        payload: JSON.stringify({ user: 'someone', password: 'x'.repeat(limit + 10) }),
      });
      assert.equal(res.statusCode, 413);
      assert.equal((res.json() as Record<string, unknown>)['statusCode'], 413);
      assert.equal(res.headers['cache-control'], 'no-store');
      // Just under the limit is parsed (and then judged by the schema: the password is too long).
      const under = await rpc(server, 'session.issueToken', {
        user: 'someone',
        password: 'x'.repeat(limit - 100),
      });
      assert.equal(under.status, 200);
      assert.equal(under.body.error?.code, 400);
    });

    test('an empty JSON body or no body at all means "no arguments"', async () => {
      const user = await seedUser(server);
      const token = await signIn(server, user.username!, user.password);
      for (const payload of [undefined, '', '   ']) {
        const res = await server.inject({
          method: 'POST',
          url: `${prefix}/user.info`,
          headers: {
            ...bearer(token),
            ...(payload === undefined ? {} : { 'content-type': 'application/json' }),
          },
          ...(payload === undefined ? {} : { payload }),
        });
        assert.equal(res.statusCode, 200);
        const body = res.json() as { ok: boolean; user: { id: string } };
        assert.equal(body.ok, true, JSON.stringify(body));
        assert.equal(body.user.id, user.id);
      }
    });

    test('a JSON body that is not an object is an invalid request body', async () => {
      const user = await seedUser(server);
      const token = await signIn(server, user.username!, user.password);
      for (const payload of ['[]', '"text"', '42', 'null']) {
        const res = await server.inject({
          method: 'POST',
          url: `${prefix}/user.info`,
          headers: { ...bearer(token), 'content-type': 'application/json' },
          payload,
        });
        assert.equal(res.statusCode, 200, payload);
        const body = res.json() as { ok: boolean; error?: { code: number } };
        // `null` counts as "no arguments" (like an empty body); the others are not objects.
        if (payload === 'null') assert.equal(body.ok, true, JSON.stringify(body));
        else assert.equal(body.error?.code, 400, `${payload}: ${JSON.stringify(body)}`);
      }
    });

    test('__proto__ in a body cannot smuggle keys past the strict schema', async () => {
      const res = await server.inject({
        method: 'POST',
        url: `${prefix}/session.issueToken`,
        headers: { 'content-type': 'application/json' },
        payload: '{"user":"someone","password":"whatever1","__proto__":{"isAdmin":true}}',
      });
      assert.equal(res.statusCode, 200);
      assert.equal((res.json() as { error?: { code: number } }).error?.code, 10002);
    });

    test('every rpc answer, success or error, carries cache-control: no-store', async () => {
      const user = await seedUser(server);
      const token = await signIn(server, user.username!, user.password);
      const { cookie } = await signInCookie(server, user.username!, user.password);
      const responses = [
        await rpc(server, 'session.issueToken', { user: user.username, password: user.password }),
        await rpc(server, 'session.issueToken', { user: user.username, password: 'wrong-password' }),
        await rpc(server, 'session.setCookie', { user: user.username, password: user.password }),
        await rpc(server, 'session.refreshToken', { token }),
        await rpc(server, 'session.refreshToken', { token: 'garbage' }),
        await rpc(server, 'session.refreshCookie', undefined, cookieHeader(cookie)),
        await rpc(server, 'session.refreshCookie'),
        await rpc(server, 'user.info', {}),
        await rpc(server, 'user.info', { bogus: 1 }, bearer(token)),
        await rpc(server, 'user.list', {}, bearer(token)),
        await rpc(server, 'user.create', { password: 'x' }, bearer(token)),
        await rpc(server, 'session.destroyToken', { token: 'garbage' }),
        await rpc(server, 'session.destroyCookie'),
      ];
      for (const res of responses) {
        assert.equal(res.status, 200);
        assert.equal(res.headers['cache-control'], 'no-store', JSON.stringify(res.body));
        assert.equal(res.headers['x-content-type-options'], 'nosniff');
      }
    });
  });
}
