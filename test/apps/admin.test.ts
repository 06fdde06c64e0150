import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { backends } from '../helpers/backends.js';
import { bearer, signIn as rpcSignIn } from '../helpers/rpc.js';
import { seedUser, startTestServer, type TestServer } from '../helpers/server.js';
import { apps, readyLogin, signIn } from './support.js';

for (const backend of await backends()) {
  describe(`admin API: apps (${backend.name})`, () => {
    let server: TestServer;
    let admin: Record<string, string>;
    let plain: Record<string, string>;
    before(async () => {
      server = await startTestServer(backend);
      const root = await seedUser(server, { superuser: true });
      admin = bearer(await rpcSignIn(server, root.username!, root.password));
      const user = await seedUser(server);
      plain = bearer(await rpcSignIn(server, user.username!, user.password));
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

    test('every apps admin route refuses no token (401) and a token without latchkey.admin (403)', async () => {
      const routes: Array<['GET' | 'POST' | 'DELETE', string]> = [
        ['GET', '/admin/apps'],
        ['POST', '/admin/apps'],
        ['DELETE', '/admin/apps/acme/x'],
        ['GET', '/admin/apps/acme/x/jobs'],
        ['POST', `/admin/apps/acme/x/jobs/${'0'.repeat(24)}/retry`],
      ];
      for (const [method, url] of routes) {
        assert.equal((await call(method, url, {})).statusCode, 401, `${method} ${url}`);
        assert.equal((await call(method, url, plain)).statusCode, 403, `${method} ${url}`);
      }
    });

    test('create (201, 400, 409), list, remove (204, 404, 409 for the default app)', async () => {
      const created = await call('POST', '/admin/apps', admin, { app: 'acme/crm' });
      assert.equal(created.statusCode, 201, created.body);
      const app = (created.json() as { app: { id: string; app: string; isDefault: boolean } }).app;
      assert.equal(app.app, 'acme/crm');
      assert.equal(app.isDefault, false);
      assert.equal((await call('POST', '/admin/apps', admin, { app: 'acme/crm' })).statusCode, 409);
      for (const bad of ['acme', 'Acme/CRM', 'a/b/c', '/x']) {
        assert.equal((await call('POST', '/admin/apps', admin, { app: bad })).statusCode, 400, bad);
      }
      const listed = (await call('GET', '/admin/apps', admin)).json() as {
        apps: Array<{ app: string; isDefault: boolean }>;
      };
      assert.deepEqual(
        listed.apps.map((a) => [a.app, a.isDefault]),
        [
          ['acme/crm', false],
          [server.config.defaultApp, true],
        ],
      );
      assert.equal((await call('DELETE', `/admin/apps/${server.config.defaultApp}`, admin)).statusCode, 409);
      assert.equal((await call('DELETE', '/admin/apps/acme/nothing', admin)).statusCode, 404);
      assert.equal((await call('GET', '/admin/apps/acme/nothing/jobs', admin)).statusCode, 404);
    });

    test('removing an app removes its logins and ends their tokens at once; the name can be used again', async () => {
      await call('POST', '/admin/apps', admin, { app: 'acme/gone' });
      const gone = (await server.services.apps.find('acme/gone'))!;
      await readyLogin(server, gone, 'zoe', 'zoe-password-1');
      const token = await signIn(server, 'acme/gone', 'zoe', 'zoe-password-1');
      const jobs = (await call('GET', '/admin/apps/acme/gone/jobs', admin)).json() as {
        jobs: Array<{ status: string }>;
      };
      assert.deepEqual(
        jobs.jobs.map((j) => j.status),
        ['done'],
      );
      assert.equal((await call('DELETE', '/admin/apps/acme/gone', admin)).statusCode, 204);
      assert.equal(
        (await apps(server, 'acme/gone', '/auth/refresh', { token })).status,
        400,
        'the app is unknown now',
      );
      assert.equal(
        server.services.sessions.isRevoked(
          JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString()).sid,
        ),
        true,
      );
      for (const table of [
        'users',
        'app_profiles',
        'app_jobs',
        'app_wsid_counters',
        'permissions',
        'roles',
      ] as const) {
        const rows = await server.services.store.db
          .selectFrom(table)
          .select('app_id')
          .where('app_id', '=', gone.id)
          .execute();
        assert.equal(rows.length, 0, table);
      }
      // Re-created under the same name: a new, empty tenant where the old token means nothing.
      assert.equal((await call('POST', '/admin/apps', admin, { app: 'acme/gone' })).statusCode, 201);
      assert.equal((await apps(server, 'acme/gone', '/auth/refresh', { token })).status, 401);
      assert.equal(
        (
          await apps(server, 'acme/gone', '/auth/login', {
            json: { login: 'zoe', password: 'zoe-password-1' },
          })
        ).status,
        401,
      );
    });
  });
}
