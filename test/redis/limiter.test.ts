import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { Redis } from 'ioredis';
import { RedisAttemptLimiter } from '../../src/storage/redis/limiter.js';
import { ACCOUNT_POLICY, type AttemptLimiter, MemoryAttemptLimiter } from '../../src/throttle/index.js';
import { redisForTest } from '../helpers/redis.js';

const redis = await redisForTest();

describe('attempt counters on Redis behave exactly like the in-memory ones', { skip: redis === null }, () => {
  let client: Redis;
  before(() => {
    client = new Redis(redis!.url);
  });
  after(async () => {
    client.disconnect();
    await redis!.cleanup();
  });

  async function trace(limiter: AttemptLimiter, key: string): Promise<unknown[]> {
    const out: unknown[] = [];
    const times = [0, 0, 0, 0, 0, 0, 0, 500, 1000, 1000, 2999, 3000, 3000];
    for (const t of times) out.push(await limiter.attempt(key, ACCOUNT_POLICY, 1_000_000 + t));
    await limiter.refund(key);
    out.push(await limiter.attempt(key, ACCOUNT_POLICY, 1_000_000 + 10_000));
    await limiter.reset(key);
    out.push(await limiter.attempt(key, ACCOUNT_POLICY, 1_000_000 + 10_000));
    return out;
  }

  test('same decisions, same Retry-After, same counts', async () => {
    assert.deepEqual(
      await trace(new RedisAttemptLimiter(client, redis!.prefix), 'k1'),
      await trace(new MemoryAttemptLimiter(), 'k1'),
    );
  });

  test('atomic across clients: 150 parallel attempts from three connections let exactly 6 through', async () => {
    const clients = [client, new Redis(redis!.url), new Redis(redis!.url)];
    try {
      const limiters = clients.map((c) => new RedisAttemptLimiter(c, redis!.prefix));
      const results = await Promise.all(
        Array.from({ length: 150 }, (_, i) => limiters[i % 3]!.attempt('burst', ACCOUNT_POLICY, 5_000_000)),
      );
      assert.equal(results.filter((r) => r.allowed).length, 6);
    } finally {
      for (const c of clients.slice(1)) c.disconnect();
    }
  });

  test("a counter past its window is forgotten by the callers' clock too, as in memory", async () => {
    const trail = async (limiter: AttemptLimiter) => {
      const out: unknown[] = [];
      for (let i = 0; i < 8; i++) out.push(await limiter.attempt('window', ACCOUNT_POLICY, 9_000_000));
      // Past the block and the window by the injected clock, long before Redis's own expiry.
      out.push(await limiter.attempt('window', ACCOUNT_POLICY, 9_000_000 + 2 * ACCOUNT_POLICY.windowMs));
      return out;
    };
    const redisTrail = await trail(new RedisAttemptLimiter(client, redis!.prefix));
    assert.deepEqual(redisTrail, await trail(new MemoryAttemptLimiter()));
    assert.deepEqual(redisTrail.at(-1), { allowed: true, retryAfterMs: 0, failures: 1 });
  });

  test('counters expire with the policy window', async () => {
    const limiter = new RedisAttemptLimiter(client, redis!.prefix);
    await limiter.attempt('ttl', ACCOUNT_POLICY, 0);
    const ttl = await client.pttl(`${redis!.prefix}throttle:ttl`);
    assert.ok(ttl > ACCOUNT_POLICY.windowMs - 5000 && ttl <= ACCOUNT_POLICY.windowMs, String(ttl));
  });
});
