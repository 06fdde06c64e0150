import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { maxTokenLifetimeMs } from '../../src/services.js';
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

    test('the idle limit is never shorter than the longest token life', async () => {
      const server = await startTestServer(backend, { overrides: { sessionIdleSeconds: 300 } });
      try {
        const user = await seedUser(server);
        let token = await signIn(server, user.username!, user.password);
        const horizon = maxTokenLifetimeMs(server.config);
        assert.ok(horizon > 300_000);
        server.clock.advance(horizon - 1000);
        const refreshed = await rpc(server, 'session.refreshToken', { token });
        assert.equal(refreshed.body.ok, true, JSON.stringify(refreshed.body));
        token = refreshed.body['token'] as string;
        server.clock.advance(horizon + 1000);
        assert.equal((await rpc(server, 'session.refreshToken', { token })).body.error?.code, 10027);
      } finally {
        await server.close();
      }
    });
  });
}
