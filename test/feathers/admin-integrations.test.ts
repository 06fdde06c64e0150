import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { backends } from '../helpers/backends.js';
import { bearer, signIn } from '../helpers/rpc.js';
import { seedUser } from '../helpers/server.js';
import { call, type FeathersTestServer, feathersUser, login, post, startFeathersServer } from './support.js';

for (const backend of await backends()) {
  describe(`admin API: a user's integrations (${backend.name})`, () => {
    let server: FeathersTestServer;
    let admin: Record<string, string>;
    let plain: Record<string, string>;
    before(async () => {
      server = await startFeathersServer(backend);
      const root = await seedUser(server, { superuser: true });
      admin = bearer(await signIn(server, root.username!, root.password));
      const user = await seedUser(server);
      plain = bearer(await signIn(server, user.username!, user.password));
    });
    after(async () => server.close());

    test('enable (201, then 200), list, disable (204, then 404); the feathers data follows', async () => {
      const user = await feathersUser(server);
      const base = `/admin/users/${user.id}/integrations`;
      const created = await call(server, 'PUT', `${base}/google-drive`, undefined, admin);
      assert.equal(created.status, 201, JSON.stringify(created.body));
      const integration = (created.body as { integration: { id: string; name: string; createdAt: string } })
        .integration;
      assert.equal(integration.name, 'google-drive');
      const again = await call(server, 'PUT', `${base}/google-drive`, undefined, admin);
      assert.equal(again.status, 200);
      assert.deepEqual(again.body, { integration });
      assert.equal((await call(server, 'PUT', `${base}/slack`, undefined, admin)).status, 201);

      const listed = await call(server, 'GET', base, undefined, admin);
      assert.deepEqual(
        (listed.body as { integrations: Array<{ name: string }> }).integrations.map((i) => i.name),
        ['google-drive', 'slack'],
      );
      const token = await login(server, user.email, user.password);
      const data = (await post(server, '/auth/token', { token })).body['data'] as {
        integrations: Array<{ _id: string; name: string }>;
      };
      assert.deepEqual(
        data.integrations.map((i) => i.name),
        ['google-drive', 'slack'],
      );
      assert.equal(data.integrations[0]!._id, integration.id);

      assert.equal((await call(server, 'DELETE', `${base}/google-drive`, undefined, admin)).status, 204);
      assert.equal((await call(server, 'DELETE', `${base}/google-drive`, undefined, admin)).status, 404);
      const after = await call(server, 'GET', base, undefined, admin);
      assert.deepEqual(
        (after.body as { integrations: Array<{ name: string }> }).integrations.map((i) => i.name),
        ['slack'],
      );
    });

    test('refusals: no token 401, no latchkey.admin 403, unknown user 404, bad name 400, unknown app 404', async () => {
      const user = await feathersUser(server);
      const base = `/admin/users/${user.id}/integrations`;
      assert.equal((await call(server, 'GET', base)).status, 401);
      assert.equal((await call(server, 'PUT', `${base}/x`, undefined, plain)).status, 403);
      assert.equal(
        (await call(server, 'GET', `/admin/users/${'0'.repeat(24)}/integrations`, undefined, admin)).status,
        404,
      );
      assert.equal(
        (await call(server, 'PUT', `/admin/users/${'0'.repeat(24)}/integrations/x`, undefined, admin)).status,
        404,
      );
      assert.equal((await call(server, 'PUT', `${base}/Not_Valid`, undefined, admin)).status, 400);
      assert.equal((await call(server, 'PUT', `${base}/${'x'.repeat(65)}`, undefined, admin)).status, 400);
      assert.equal((await call(server, 'GET', `${base}?app=nobody/nothing`, undefined, admin)).status, 404);
    });
  });
}
