import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { maxTokenLifetimeMs, tokenTtlSeconds } from '../../src/services.js';
import { SessionPurge } from '../../src/session/purge.js';
import { backends } from '../helpers/backends.js';
import { rpc, signIn } from '../helpers/rpc.js';
import { seedUser, startTestServer } from '../helpers/server.js';

const sessionOf = (token: string) =>
  (JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString()) as { sid: string }).sid;

for (const backend of await backends()) {
  describe(`session housekeeping (${backend.name})`, () => {
    test('ended sessions are purged once no token of theirs can live; live ones stay', async () => {
      const server = await startTestServer(backend);
      try {
        const user = await seedUser(server);
        const ended = await signIn(server, user.username!, user.password);
        assert.equal((await rpc(server, 'session.destroyToken', { token: ended })).body.ok, true);
        const live = await signIn(server, user.username!, user.password);
        const horizon = maxTokenLifetimeMs(server.config);
        server.clock.advance(horizon - 1000);
        assert.equal(await server.services.sessionPurge.purgeOnce(), 0, 'a token of it may still live');
        server.clock.advance(2000);
        assert.equal(await server.services.sessionPurge.purgeOnce(), 1);
        assert.equal(await server.services.repos.sessions.findSession(sessionOf(ended)), null);
        assert.ok(await server.services.repos.sessions.findSession(sessionOf(live)));
      } finally {
        await server.close();
      }
    });

    test('a purge deletes a backlog in batches, with the event loop free between them', async () => {
      const server = await startTestServer(backend);
      try {
        const user = await seedUser(server);
        for (let i = 0; i < 5; i++) {
          const token = await signIn(server, user.username!, user.password);
          assert.equal((await rpc(server, 'session.destroyToken', { token })).body.ok, true);
        }
        const live = await signIn(server, user.username!, user.password);
        server.clock.advance(maxTokenLifetimeMs(server.config) + 1000);
        const statements: number[] = [];
        const repo = server.services.repos.sessions;
        const counted = Object.create(repo) as typeof repo;
        counted.deleteEndedBefore = async (before, limit) => {
          const n = await repo.deleteEndedBefore(before, limit);
          statements.push(n);
          return n;
        };
        const purge = new SessionPurge(counted, server.clock, maxTokenLifetimeMs(server.config), 3600_000, 2);
        assert.equal(await purge.purgeOnce(), 5);
        assert.deepEqual(statements, [2, 2, 1]);
        assert.ok(await server.services.repos.sessions.findSession(sessionOf(live)));
      } finally {
        await server.close();
      }
    });

    test("the idle limit is never shorter than the life of the session's own tokens", async () => {
      const server = await startTestServer(backend, { overrides: { sessionIdleSeconds: 300 } });
      try {
        const user = await seedUser(server);
        let token = await signIn(server, user.username!, user.password);
        // An rpc session: its tokens live bearerTtlSeconds (900 s), more than the 300 s asked for,
        // and the longer lives of other dialects' tokens (a feathers day) do not count.
        const floor = (tokenTtlSeconds(server.config, 'rpc') + server.config.clockSkewSeconds) * 1000;
        assert.ok(floor > 300_000 && floor < maxTokenLifetimeMs(server.config));
        server.clock.advance(floor - 1000);
        const refreshed = await rpc(server, 'session.refreshToken', { token });
        assert.equal(refreshed.body.ok, true, JSON.stringify(refreshed.body));
        token = refreshed.body['token'] as string;
        server.clock.advance(floor + 1000);
        assert.equal((await rpc(server, 'session.refreshToken', { token })).body.error?.code, 10027);
      } finally {
        await server.close();
      }
    });
  });
}
