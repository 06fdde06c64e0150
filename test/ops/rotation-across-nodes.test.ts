import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { describe, test } from 'node:test';
import { keyOverlapMs } from '../../src/services.js';
import { ManualClock } from '../../src/shared/clock.js';
import { UNKNOWN_KID_RELOAD_INTERVAL_MS } from '../../src/tokens/keyring.js';
import { backends } from '../helpers/backends.js';
import { bearer, rpc, signIn } from '../helpers/rpc.js';
import { seedUser, startTestServer, type TestServer } from '../helpers/server.js';

const AUDIENCE = 'latchkey/default';

const kidOf = (token: string) =>
  (JSON.parse(Buffer.from(token.split('.')[0]!, 'base64url').toString()) as { kid: string }).kid;

/** The token with its header naming another kid: a key nobody holds (its signature is never reached). */
function withKid(token: string, kid: string): string {
  const [header, ...rest] = token.split('.');
  const decoded = JSON.parse(Buffer.from(header!, 'base64url').toString()) as Record<string, unknown>;
  return [Buffer.from(JSON.stringify({ ...decoded, kid })).toString('base64url'), ...rest].join('.');
}

/** Counts how often the node reads the signing keys from the store. */
function countKeyReads(server: TestServer): { reads: number } {
  const counter = { reads: 0 };
  const repo = server.services.repos.keys;
  const list = repo.list.bind(repo);
  repo.list = async () => {
    counter.reads++;
    return list();
  };
  return counter;
}

for (const backend of await backends()) {
  describe(`a key rotated on one node, verified on another without a bus (${backend.name})`, () => {
    test('the other node accepts the new key at once; unknown kids are refused and re-read at most once a second', async () => {
      const db = await backend.create();
      const clock = new ManualClock(Date.now());
      // Two nodes on one database; each test server has a Redis prefix of its own, so no bus joins them.
      const a = await startTestServer(backend, { databaseUrl: db.url, clock });
      const b = await startTestServer(backend, { databaseUrl: db.url, clock });
      try {
        // Only a token's verification may teach B the new key, not its periodic reload.
        b.services.keyWatch.stop();
        const reads = countKeyReads(b);
        const user = await seedUser(a);
        const before = await signIn(a, user.username!, user.password);

        clock.advance(60_000);
        const newKid = await a.services.keys.rotate(keyOverlapMs(a.config));
        const token = await signIn(a, user.username!, user.password);
        assert.equal(kidOf(token), newKid);
        assert.notEqual(kidOf(before), newKid);

        const info = await rpc(b, 'user.info', {}, bearer(token));
        assert.equal(info.body.ok, true, JSON.stringify(info.body));
        assert.equal(reads.reads, 1, 'B re-read its keys once, for the kid it did not hold');
        assert.equal((await rpc(b, 'user.info', {}, bearer(token))).body.ok, true);
        assert.equal((await rpc(b, 'user.info', {}, bearer(before))).body.ok, true, 'the old key verifies');
        assert.equal(reads.reads, 1, 'known kids read nothing');

        // Requests verifying at once wait for one read and are all accepted. (verify reaches the
        // key ring before its first await, so these three are in flight together.)
        clock.advance(UNKNOWN_KID_RELOAD_INTERVAL_MS);
        const thirdKid = await a.services.keys.rotate(keyOverlapMs(a.config));
        const third = await signIn(a, user.username!, user.password);
        assert.equal(kidOf(third), thirdKid);
        const verify = (t: string) => b.services.tokens.verify(t, ['rpc-token'], { audience: AUDIENCE });
        const verified = await Promise.all([verify(third), verify(third), verify(third)]);
        for (const v of verified) assert.equal(v.claims.sub, user.id);
        assert.equal(reads.reads, 2, 'one read for the three');

        // Made-up kids: refused as before, and no read within the interval, concurrent or not.
        const forged = () => withKid(token, randomUUID());
        const refused = await Promise.all([1, 2, 3].map(() => rpc(b, 'user.info', {}, bearer(forged()))));
        for (const res of refused) assert.equal(res.body.error?.code, 10000, JSON.stringify(res.body));
        assert.equal(reads.reads, 2, 'the made-up kids came within a second of the last read');

        clock.advance(UNKNOWN_KID_RELOAD_INTERVAL_MS);
        const refusals = await Promise.allSettled([1, 2, 3, 4].map(() => verify(forged())));
        for (const r of refusals) assert.equal(r.status, 'rejected');
        assert.equal(reads.reads, 3, 'a second later, one read shared by the four');
        assert.equal((await rpc(b, 'user.info', {}, bearer(forged()))).body.error?.code, 10000);
        assert.equal(reads.reads, 3);
      } finally {
        await b.close();
        await a.close();
        await db.cleanup();
      }
    });
  });
}
