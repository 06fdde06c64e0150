import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { backends } from '../helpers/backends.js';
import { bearer, rpc, signIn } from '../helpers/rpc.js';
import { seedUser, startTestServer, type TestServer } from '../helpers/server.js';

for (const backend of await backends()) {
  describe(`admin API (${backend.name})`, () => {
    let server: TestServer;
    let admin: Record<string, string>;
    let plain: Record<string, string>;
    before(async () => {
      server = await startTestServer(backend);
      const root = await seedUser(server, { superuser: true });
      admin = bearer(await signIn(server, root.username!, root.password));
      const user = await seedUser(server);
      plain = bearer(await signIn(server, user.username!, user.password));
    });
    after(async () => server.close());

    const call = (
      method: 'GET' | 'POST' | 'DELETE',
      url: string,
      headers: Record<string, string>,
      payload?: unknown,
    ) =>
      server.inject({
        method,
        url,
        headers: payload === undefined ? headers : { ...headers, 'content-type': 'application/json' },
        ...(payload === undefined ? {} : { payload: JSON.stringify(payload) }),
      });

    test('every admin route refuses no token (401) and a token without latchkey.admin (403), in the Fastify error shape', async () => {
      const routes: Array<['GET' | 'POST' | 'DELETE', string]> = [
        ['GET', '/admin/users'],
        ['POST', '/admin/users'],
        ['POST', `/admin/users/${'0'.repeat(24)}/deactivate`],
        ['POST', `/admin/users/${'0'.repeat(24)}/activate`],
        ['DELETE', `/admin/users/${'0'.repeat(24)}`],
        ['GET', '/admin/keys'],
        ['POST', '/admin/keys/rotate'],
      ];
      for (const [method, url] of routes) {
        const anonymous = await call(method, url, {});
        assert.equal(anonymous.statusCode, 401, `${method} ${url}`);
        assert.deepEqual(Object.keys(JSON.parse(anonymous.body)).sort(), ['error', 'message', 'statusCode']);
        const forbidden = await call(method, url, plain);
        assert.equal(forbidden.statusCode, 403, `${method} ${url}`);
      }
    });

    test('users: create, list, deactivate (ending sessions), activate, delete', async () => {
      const created = await call('POST', '/admin/users', admin, {
        username: 'bugs',
        email: 'bugs@acme.com',
        password: 'whats-up-doc',
      });
      assert.equal(created.statusCode, 201, created.body);
      const user = (JSON.parse(created.body) as { user: { id: string; app: string; emails: unknown[] } })
        .user;
      assert.equal(user.app, 'latchkey/default');
      assert.deepEqual(user.emails, [{ address: 'bugs@acme.com', isVerified: true, isPrimary: true }]);
      assert.equal(JSON.stringify(created.body).includes('password'), false);

      const listed = JSON.parse((await call('GET', '/admin/users?limit=500', admin)).body) as {
        users: Array<{ id: string }>;
      };
      assert.ok(listed.users.some((u) => u.id === user.id));

      const token = await signIn(server, 'bugs', 'whats-up-doc');
      assert.equal((await call('POST', `/admin/users/${user.id}/deactivate`, admin)).statusCode, 200);
      assert.equal((await rpc(server, 'user.info', {}, bearer(token))).body.error?.code, 10000);
      assert.equal((await call('POST', `/admin/users/${user.id}/activate`, admin)).statusCode, 200);
      assert.equal((await call('DELETE', `/admin/users/${user.id}`, admin)).statusCode, 204);
      assert.equal((await call('DELETE', `/admin/users/${user.id}`, admin)).statusCode, 404);
      assert.equal((await call('GET', '/admin/users?app=nobody/nothing', admin)).statusCode, 404);
    });

    test('users: bad input is a 400, duplicates a 409', async () => {
      assert.equal((await call('POST', '/admin/users', admin, { email: 'x@acme.com' })).statusCode, 400);
      assert.equal(
        (
          await call('POST', '/admin/users', admin, {
            username: 'dup',
            email: 'dup@acme.com',
            password: 'short',
          })
        ).statusCode,
        400,
      );
      assert.equal(
        (
          await call('POST', '/admin/users', admin, {
            username: 'dup',
            email: 'dup@acme.com',
            password: 'long-enough',
            extra: 1,
          })
        ).statusCode,
        400,
      );
      assert.equal(
        (
          await call('POST', '/admin/users', admin, {
            username: 'dup',
            email: 'dup@acme.com',
            password: 'long-enough',
          })
        ).statusCode,
        201,
      );
      assert.equal(
        (
          await call('POST', '/admin/users', admin, {
            username: 'DUP',
            email: 'dup2@acme.com',
            password: 'long-enough',
          })
        ).statusCode,
        409,
      );
      assert.equal((await call('POST', '/admin/users/not-an-id/deactivate', admin)).statusCode, 400);
    });

    test('keys: list and rotate', async () => {
      const before = JSON.parse((await call('GET', '/admin/keys', admin)).body) as {
        keys: Array<{ status: string }>;
      };
      assert.deepEqual(
        before.keys.map((k) => k.status),
        ['signing'],
      );
      server.clock.advance(1000);
      const rotated = await call('POST', '/admin/keys/rotate', admin);
      assert.equal(rotated.statusCode, 201);
      const body = JSON.parse(rotated.body) as { kid: string; keys: Array<{ kid: string; status: string }> };
      assert.deepEqual(
        body.keys.map((k) => k.status),
        ['signing', 'verifying'],
      );
      assert.equal(body.keys[0]!.kid, body.kid);
      // The admin's own token, signed by the previous key, still works.
      assert.equal((await call('GET', '/admin/keys', admin)).statusCode, 200);
    });
  });
}
