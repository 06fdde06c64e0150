import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { setTimeout as delay } from 'node:timers/promises';
import type { Redis } from 'ioredis';
import { RedisBus } from '../../src/storage/redis/bus.js';
import { redisForTest } from '../helpers/redis.js';

const redis = await redisForTest();

describe('the Redis bus', { skip: redis === null }, () => {
  test('a message published on one node reaches the subscribers of another', async () => {
    const errors: unknown[] = [];
    const a = new RedisBus(redis!.url, redis!.prefix, (err) => errors.push(err));
    const b = new RedisBus(redis!.url, redis!.prefix, (err) => errors.push(err));
    try {
      const received = new Promise<string>((resolve) => b.subscribe('topic', resolve));
      // The subscription is queued until b's connection is up; publish until it lands.
      let message: string | null = null;
      const deadline = Date.now() + 15_000;
      while (message === null && Date.now() < deadline) {
        await a.publish('topic', 'hello');
        message = await Promise.race([received, delay(100).then(() => null)]);
      }
      assert.equal(message, 'hello');
      assert.deepEqual(errors, []);
    } finally {
      await a.close();
      await b.close();
      await redis!.cleanup();
    }
  });

  test('closed while still connecting (a start-up that failed), it reports no error', async () => {
    const errors: unknown[] = [];
    const bus = new RedisBus(redis!.url, redis!.prefix, (err) => errors.push(err));
    // Closed the moment its socket connects, before ioredis' ready check has run.
    const { pub } = bus as unknown as { pub: Redis };
    const { sub } = bus as unknown as { sub: Redis };
    // Both connections have ended (not a guessed delay): whatever the close reports, it has by then.
    const ended = Promise.all([pub, sub].map((c) => new Promise((resolve) => c.once('end', resolve))));
    await new Promise<void>((resolve) =>
      pub.once('connect', () => {
        void bus.close();
        resolve();
      }),
    );
    await ended;
    await delay(0);
    assert.deepEqual(
      errors.map((e) => String(e)),
      [],
      'an error logged while closing would read as an outage',
    );
  });
});
