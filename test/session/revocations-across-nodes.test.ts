/**
 * Revocations reach a node that has no bus to the others (no Redis, or a lost message)
 * through the database alone: its one-second poll, and its start-up. These run two or
 * three servers on one database, each with a Redis prefix of its own, so nothing but
 * storage joins them.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ManualClock } from '../../src/shared/clock.js';
import { backends } from '../helpers/backends.js';
import { bearer, rpc, signIn } from '../helpers/rpc.js';
import { seedUser, startTestServer, type TestServer } from '../helpers/server.js';

const sessionOf = (token: string) =>
  (JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString()) as { sid: string }).sid;

for (const backend of await backends()) {
  describe(`revocations between nodes joined only by the database (${backend.name})`, () => {
    async function nodes(
      count: number,
    ): Promise<{ servers: TestServer[]; url: string; clock: ManualClock; close: () => Promise<void> }> {
      const db = await backend.create();
      const clock = new ManualClock(Date.now());
      const servers: TestServer[] = [];
      for (let i = 0; i < count; i++)
        servers.push(await startTestServer(backend, { databaseUrl: db.url, clock }));
      return {
        servers,
        url: db.url,
        clock,
        close: async () => {
          for (const s of servers) await s.close();
          await db.cleanup();
        },
      };
    }

    test("a deleted user's tokens are refused by the other node after its poll, and by a node started afterwards", async () => {
      const { servers, url, clock, close } = await nodes(2);
      const [a, b] = servers as [TestServer, TestServer];
      try {
        const user = await seedUser(a);
        const signedOut = await signIn(a, user.username!, user.password);
        const live = await signIn(a, user.username!, user.password);
        // B has seen both tokens and the user, so its caches hold them.
        assert.equal((await rpc(b, 'user.info', {}, bearer(live))).body.ok, true);
        assert.equal((await rpc(a, 'session.destroyToken', { token: signedOut })).body.ok, true);
        await b.services.revocationSync.pollOnce();
        await a.services.users.delete(a.services.defaultApp.id, user.id, undefined);
        await b.services.revocationSync.pollOnce();
        assert.equal((await rpc(b, 'user.info', {}, bearer(live))).body.error?.code, 10000);

        const c = await startTestServer(backend, { databaseUrl: url, clock });
        servers.push(c);
        for (const token of [live, signedOut]) {
          assert.equal(
            (await rpc(c, 'role.list', {}, bearer(token))).body.error?.code,
            10000,
            'a node started after the deletion',
          );
        }
      } finally {
        await close();
      }
    });

    test('a cancelled or moved deactivation reaches the other node', async () => {
      const { servers, clock, close } = await nodes(2);
      const [a, b] = servers as [TestServer, TestServer];
      try {
        const appId = a.services.defaultApp.id;
        const cancelled = await seedUser(a);
        const moved = await seedUser(a);
        const sids = [cancelled, moved].map(async (u) => sessionOf(await signIn(a, u.username!, u.password)));
        const [cancelledSid, movedSid] = await Promise.all(sids);
        for (const u of [cancelled, moved]) {
          await a.services.users.deactivate(appId, u.id, { afterSeconds: 3600, context: undefined });
        }
        await b.services.revocationSync.pollOnce();
        await a.services.users.activate(appId, cancelled.id);
        await a.services.users.activate(appId, moved.id);
        await a.services.users.deactivate(appId, moved.id, { afterSeconds: 7200, context: undefined });
        // B takes an absent entry for cancelled once it has held it for a few seconds.
        clock.advance(5000);
        await b.services.revocationSync.pollOnce();

        clock.advance(3596_000);
        assert.equal(b.services.sessions.isRevoked(cancelledSid!), false, 'the cancellation reached B');
        assert.equal(b.services.sessions.isRevoked(movedSid!), false, 'B took the later time');
        clock.advance(3600_000);
        assert.equal(b.services.sessions.isRevoked(movedSid!), true);
        assert.equal(b.services.sessions.isRevoked(cancelledSid!), false);
      } finally {
        await close();
      }
    });
  });
}
