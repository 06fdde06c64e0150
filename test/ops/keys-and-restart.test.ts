import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { keyOverlapMs } from '../../src/services.js';
import { ManualClock } from '../../src/shared/clock.js';
import { backends } from '../helpers/backends.js';
import { bearer, rpc, signIn } from '../helpers/rpc.js';
import { seedUser, startTestServer } from '../helpers/server.js';

const kidOf = (token: string) =>
  (JSON.parse(Buffer.from(token.split('.')[0]!, 'base64url').toString()) as { kid: string }).kid;

for (const backend of await backends()) {
  describe(`signing keys and restarts on ${backend.name}`, () => {
    test('rotation signs with the new key, keeps the old one verifying until its tokens are gone, and JWKS follows', async () => {
      const server = await startTestServer(backend);
      try {
        const user = await seedUser(server);
        const before = await signIn(server, user.username!, user.password);
        const oldKid = kidOf(before);
        const jwks = async () =>
          JSON.parse((await server.inject({ method: 'GET', url: '/.well-known/jwks.json' })).body) as {
            keys: Array<{ kid: string; kty: string; crv: string; d?: string }>;
          };
        const initial = await jwks();
        assert.deepEqual(
          initial.keys.map((k) => k.kid),
          [oldKid],
        );
        assert.equal(initial.keys[0]!.crv, 'Ed25519');
        assert.equal(initial.keys[0]!.d, undefined, 'no private part is published');

        server.clock.advance(60_000);
        const newKid = await server.services.keys.rotate(keyOverlapMs(server.config));
        assert.notEqual(newKid, oldKid);
        const afterRotation = await signIn(server, user.username!, user.password);
        assert.equal(kidOf(afterRotation), newKid);
        assert.equal(
          (await rpc(server, 'user.info', {}, bearer(before))).body.ok,
          true,
          'old tokens keep working',
        );
        assert.deepEqual((await jwks()).keys.map((k) => k.kid).sort(), [oldKid, newKid].sort());
        assert.deepEqual(
          server.services.keys.status(server.clock.now()).map((k) => [k.kid, k.status]),
          [
            [newKid, 'signing'],
            [oldKid, 'verifying'],
          ],
        );
        // Refresh of an old-key token still works within the overlap (expired tokens are refreshable).
        server.clock.advance(2 * 3600_000);
        const refreshed = await rpc(server, 'session.refreshToken', { token: before });
        assert.equal(refreshed.body.ok, true);
        assert.equal(kidOf(refreshed.body['token'] as string), newKid);

        server.clock.advance(keyOverlapMs(server.config));
        assert.deepEqual(
          (await jwks()).keys.map((k) => k.kid),
          [newKid],
        );
        assert.equal((await rpc(server, 'session.refreshToken', { token: before })).body.error?.code, 10029);
      } finally {
        await server.close();
      }
    });

    test('after a full restart, sessions, revocations and keys persist', async () => {
      const db = await backend.create();
      const clock = new ManualClock(Date.now());
      try {
        const first = await startTestServer(backend, { databaseUrl: db.url, clock });
        const user = await seedUser(first);
        const kept = await signIn(first, user.username!, user.password);
        const revoked = await signIn(first, user.username!, user.password);
        assert.deepEqual((await rpc(first, 'session.destroyToken', { token: revoked })).body, { ok: true });
        await first.close();

        const second = await startTestServer(backend, { databaseUrl: db.url, clock });
        try {
          assert.equal(
            (await rpc(second, 'user.info', {}, bearer(kept))).body.ok,
            true,
            'a token from before the restart verifies',
          );
          assert.equal(
            (await rpc(second, 'user.info', {}, bearer(revoked))).body.error?.code,
            10000,
            'a revoked token stays revoked',
          );
          assert.equal(second.services.keys.status(clock.now()).length, 1, 'no new key was made');
        } finally {
          await second.close();
        }
      } finally {
        await db.cleanup();
      }
    });
  });
}
