import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { backends } from '../helpers/backends.js';
import { bearer, rpc, signIn } from '../helpers/rpc.js';
import { seedUser, startTestServer, type TestServer } from '../helpers/server.js';

/**
 * user.info on yourself is the token check: its answer comes from the per-process caches
 * and is kept as text per user object and org set. It must still be exactly the answer
 * the full path builds, and follow every change at once.
 */
for (const backend of await backends()) {
  describe(`user.info on yourself, answered from memory (${backend.name})`, () => {
    let server: TestServer;
    before(async () => {
      server = await startTestServer(backend);
    });
    after(async () => server.close());

    async function me(auth: Record<string, string>, body: Record<string, unknown> = {}) {
      const res = await rpc(server, 'user.info', body, auth);
      assert.equal(res.status, 200);
      assert.match(String(res.headers['content-type']), /^application\/json; charset=utf-8$/);
      return res.body;
    }

    test('the remembered answer is the full answer, byte for byte in content', async () => {
      const user = await seedUser(server);
      const auth = bearer(await signIn(server, user.username!, user.password));
      const first = await me(auth);
      const second = await me(auth);
      // The full path: another projection object asks for the same default fields.
      const full = await me(auth, { projection: { id: true } });
      assert.deepEqual(second, first);
      assert.equal(first['ok'], true);
      assert.equal((first['user'] as Record<string, unknown>)['id'], user.id);
      assert.deepEqual(Object.keys(first['user'] as object).sort(), [
        'createdAt',
        'emails',
        'fullName',
        'id',
        'orgs',
        'picture',
        'updatedAt',
        'username',
      ]);
      // A projection naming one default field still answers every default field, built in full.
      assert.deepEqual(full, first);
    });

    test('a change to the user shows in the very next answer (org changes: orgs.test.ts)', async () => {
      const user = await seedUser(server);
      const auth = bearer(await signIn(server, user.username!, user.password));
      await me(auth);
      await me(auth);
      const update = await rpc(server, 'user.update', { id: user.id, fullName: 'Renamed Person' }, auth);
      assert.equal(update.body['ok'], true, JSON.stringify(update.body));
      assert.equal(((await me(auth))['user'] as Record<string, unknown>)['fullName'], 'Renamed Person');
      await rpc(server, 'user.update', { id: user.id, fullName: 'Second Name' }, auth);
      assert.equal(((await me(auth))['user'] as Record<string, unknown>)['fullName'], 'Second Name');
    });
  });
}
