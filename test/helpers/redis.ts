import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';

export const REDIS_URL = process.env['LATCHKEY_TEST_REDIS_URL'] ?? 'redis://127.0.0.1:6379';

let available: Promise<boolean> | null = null;

async function probe(): Promise<boolean> {
  const client = new Redis(REDIS_URL, {
    lazyConnect: true,
    maxRetriesPerRequest: 0,
    // Generous: on a busy machine a local connection can take seconds, and a probe that
    // timed out would skip the Redis suites (or, under CI=true, fail the run). A Redis that
    // is down refuses at once whatever the bound.
    connectTimeout: 10_000,
    retryStrategy: () => null,
  });
  client.on('error', () => {});
  try {
    await client.connect();
    return (await client.ping()) === 'PONG';
  } catch {
    return false;
  } finally {
    client.disconnect();
  }
}

/**
 * A fresh key prefix on the real Redis for one test run, and a cleanup that deletes
 * its keys. Null (with the reason printed) when Redis is absent outside CI; under
 * CI=true an absent Redis fails the run.
 */
export async function redisForTest(): Promise<{
  url: string;
  prefix: string;
  cleanup: () => Promise<void>;
} | null> {
  available ??= probe();
  if (!(await available)) {
    if (process.env['CI']) throw new Error(`Redis is required in CI but ${REDIS_URL} is unreachable`);
    process.stdout.write(
      `# skipping Redis runs: ${REDIS_URL} is unreachable (set LATCHKEY_TEST_REDIS_URL)\n`,
    );
    return null;
  }
  const prefix = `latchkey-test-${randomBytes(6).toString('hex')}:`;
  return {
    url: REDIS_URL,
    prefix,
    cleanup: async () => {
      const client = new Redis(REDIS_URL);
      try {
        const keys = await client.keys(`${prefix}*`);
        if (keys.length > 0) await client.del(...keys);
      } finally {
        client.disconnect();
      }
    },
  };
}
