import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { backends } from '../helpers/backends.js';
import { bearer, rpc, signIn } from '../helpers/rpc.js';
import { seedUser, startTestServer, type TestServer } from '../helpers/server.js';

for (const backend of await backends()) {
  describe(`rpc session methods on ${backend.name}`, () => {
    let server: TestServer;
    before(async () => {
      server = await startTestServer(backend);
    });
    after(async () => server.close());

    test('issueToken returns a token whose expiresAt equals its exp, usable as Bearer', async () => {
      const user = await seedUser(server);
      const res = await rpc(server, 'session.issueToken', {
        user: user.emails[0]!.address,
        password: user.password,
      });
      assert.equal(res.status, 200);
      assert.equal(res.body.ok, true);
      const token = res.body['token'] as string;
      const payload = JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString()) as Record<
        string,
        unknown
      >;
      assert.equal(res.body['expiresAt'], new Date((payload['exp'] as number) * 1000).toISOString());
      assert.deepEqual(payload['user'], { id: user.id }, 'projection defaults to false/false');
      assert.equal(payload['iss'], 'latchkey');
      assert.equal(typeof payload['jti'], 'string');
      assert.equal(typeof payload['sid'], 'string');
      const info = await rpc(server, 'user.info', {}, bearer(token));
      assert.equal(info.body.ok, true);
      assert.equal((info.body['user'] as { id: string }).id, user.id);
    });

    test('sign-in by username is case-insensitive; wrong, unknown and deactivated all answer 10002 alike', async () => {
      const user = await seedUser(server);
      await signIn(server, user.username!.toUpperCase(), user.password);
      const wrong = await rpc(server, 'session.issueToken', {
        user: user.username,
        password: `${user.password}x`,
      });
      const unknown = await rpc(server, 'session.issueToken', {
        user: 'nobody-here',
        password: user.password,
      });
      const deactivatedUser = await seedUser(server);
      await server.services.users.deactivate(server.services.defaultApp.id, deactivatedUser.id, {
        context: undefined,
      });
      const deactivated = await rpc(server, 'session.issueToken', {
        user: deactivatedUser.username,
        password: deactivatedUser.password,
      });
      for (const res of [wrong, unknown, deactivated]) {
        assert.equal(res.status, 200);
        assert.deepEqual(res.body, {
          ok: false,
          error: { code: 10002, message: 'Invalid user or password' },
        });
        assert.equal(res.headers['set-cookie'], undefined);
      }
    });

    test('a destroyed token is refused on the very next request', async () => {
      const user = await seedUser(server);
      const token = await signIn(server, user.username!, user.password);
      assert.equal((await rpc(server, 'user.info', {}, bearer(token))).body.ok, true);
      const destroyed = await rpc(server, 'session.destroyToken', { token });
      assert.deepEqual(destroyed.body, { ok: true });
      const next = await rpc(server, 'user.info', {}, bearer(token));
      assert.equal(next.body.error?.code, 10000);
      const refresh = await rpc(server, 'session.refreshToken', { token });
      assert.equal(refresh.body.error?.code, 10027);
      // Idempotent.
      assert.deepEqual((await rpc(server, 'session.destroyToken', { token })).body, { ok: true });
    });

    test('N concurrent refreshes of one token all succeed with one identical successor', async () => {
      const user = await seedUser(server);
      const token = await signIn(server, user.username!, user.password, { projection: { profile: true } });
      const results = await Promise.all(
        Array.from({ length: 12 }, () => rpc(server, 'session.refreshToken', { token })),
      );
      for (const r of results) assert.equal(r.body.ok, true, JSON.stringify(r.body));
      const successors = new Set(results.map((r) => r.body['token']));
      assert.equal(successors.size, 1);
      const [successor] = successors as Set<string>;
      assert.notEqual(successor, token);
      const payload = JSON.parse(Buffer.from(successor!.split('.')[1]!, 'base64url').toString()) as {
        user: Record<string, unknown>;
      };
      assert.equal(payload.user['username'], user.username, 'the profile projection carries over');
      assert.equal((await rpc(server, 'user.info', {}, bearer(successor!))).body.ok, true);
    });

    test('reuse after the grace window revokes the session', async () => {
      const user = await seedUser(server);
      const token = await signIn(server, user.username!, user.password);
      const first = await rpc(server, 'session.refreshToken', { token });
      const successor = first.body['token'] as string;
      server.clock.advance(30_000);
      const inGrace = await rpc(server, 'session.refreshToken', { token });
      assert.equal(inGrace.body['token'], successor);
      server.clock.advance(31_000);
      const reuse = await rpc(server, 'session.refreshToken', { token });
      assert.equal(reuse.body.error?.code, 10027);
      assert.equal((await rpc(server, 'user.info', {}, bearer(successor))).body.error?.code, 10000);
      assert.equal((await rpc(server, 'session.refreshToken', { token: successor })).body.error?.code, 10027);
    });
  });
}
