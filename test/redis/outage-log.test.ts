import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { describe, test } from 'node:test';
import { pino } from 'pino';
import { loadConfig } from '../../src/config/load.js';
import { createServices } from '../../src/services.js';
import { backends } from '../helpers/backends.js';
import { redisForTest } from '../helpers/redis.js';
import { TEST_ARGON2, TEST_SECRET } from '../helpers/server.js';
import { startTcpProxy } from '../helpers/tcp-proxy.js';

const redis = await redisForTest();

/** Polls (bounded) until the condition holds; the machine may be slow, so no fixed sleeps. */
async function until(what: string, condition: () => boolean, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('an unreachable Redis in the log', { skip: redis ? false : 'no Redis' }, () => {
  test('one line when it goes, one when it is back, no stack traces', async () => {
    const [sqlite] = await backends();
    const db = await sqlite!.create();
    const proxy = await startTcpProxy(Number(new URL(redis!.url).port || 6379), new URL(redis!.url).hostname);
    const lines: Array<Record<string, unknown>> = [];
    const stream = new Writable({
      write(chunk, _enc, done) {
        for (const line of String(chunk).split('\n').filter(Boolean)) lines.push(JSON.parse(line));
        done();
      },
    });
    const config = loadConfig({
      env: {},
      overrides: {
        secret: TEST_SECRET,
        dataDir: mkdtempSync(join(tmpdir(), 'latchkey-redis-log-')),
        databaseUrl: db.url,
        redisUrl: `redis://127.0.0.1:${proxy.port}`,
        redisPrefix: redis!.prefix,
      },
    });
    const services = await createServices(config, {
      argon2: TEST_ARGON2,
      log: pino({ level: 'info' }, stream),
      syncRevocations: false,
      runJobs: false,
    });
    const redisLines = () => lines.filter((l) => String(l['msg']).startsWith('redis:'));
    try {
      await until('Redis to be up', () => services.bus.healthy());
      await proxy.pause();
      // Sign-in attempts meanwhile fall back to per-node counters: each one fails over, quietly.
      for (let i = 0; i < 5; i++) {
        await services.signIn
          .signIn({
            appId: services.defaultApp.id,
            login: `nobody-${i}@acme.com`,
            password: 'not-the-password',
            client: { ip: '192.0.2.7' },
            context: undefined,
          })
          .catch(() => {});
      }
      await until('the outage line', () => redisLines().length >= 1);
      // Several reconnection attempts fail meanwhile (ioredis retries every 100 ms to 2 s).
      await new Promise((r) => setTimeout(r, 1500));
      await proxy.resume();
      await until('the recovery line', () => redisLines().some((l) => l['msg'] === 'redis: reachable again'));
      const seen = redisLines();
      assert.equal(seen.length, 2, JSON.stringify(seen));
      assert.equal(seen[0]!['level'], 50);
      assert.match(String(seen[0]!['msg']), /^redis: unreachable/);
      assert.equal(typeof seen[0]!['reason'], 'string');
      assert.equal(seen[1]!['level'], 30);
      assert.ok(!JSON.stringify(lines).includes('"stack"'), 'no stack trace in the log');
    } finally {
      await services.close();
      await proxy.close();
      await db.cleanup();
      await redis!.cleanup();
    }
  });
});
