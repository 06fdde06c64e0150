import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { Redis } from 'ioredis';
import pg from 'pg';
import { createTarget, PG_ADMIN_URL, REDIS_URL } from '../../bench/stores.js';
import { backends } from '../helpers/backends.js';
import { redisForTest } from '../helpers/redis.js';

const hasPostgres = (await backends()).some((b) => b.name === 'postgres');
// Probes Redis (and refuses to skip in CI); its own prefix is unused here.
const redis = await redisForTest();
await redis?.cleanup();

async function databaseExists(url: string): Promise<boolean> {
  const name = new URL(url).pathname.slice(1);
  const admin = new pg.Client({ connectionString: PG_ADMIN_URL });
  await admin.connect();
  try {
    return (await admin.query('select 1 from pg_database where datname = $1', [name])).rowCount === 1;
  } finally {
    await admin.end();
  }
}

test('the bench runs PostgreSQL with Redis when it answers, under a prefix of its own that cleanup empties', {
  skip: !hasPostgres || !redis ? 'needs PostgreSQL and Redis' : false,
}, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'latchkey-bench-test-'));
  const client = new Redis(REDIS_URL);
  const other = `latchkey-test-other-${randomBytes(6).toString('hex')}:counter`;
  try {
    const target = await createTarget('postgres', join(dir, 'postgres'));
    assert.ok(target.redis, 'Redis is used');
    assert.equal(target.redis.url, REDIS_URL);
    assert.match(target.description, /with Redis \S+ at /);
    assert.ok(await databaseExists(target.databaseUrl));
    // What a server of the run would leave behind.
    await client.set(`${target.redis.prefix}counter`, '1');
    await client.set(other, '1');
    await target.cleanup();
    assert.equal(await client.exists(`${target.redis.prefix}counter`), 0);
    assert.equal(await client.exists(other), 1);
    assert.equal(await databaseExists(target.databaseUrl), false);
  } finally {
    await client.del(other);
    client.disconnect();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('the SQLite bench runs have no Redis', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'latchkey-bench-test-'));
  try {
    const target = await createTarget('sqlite', join(dir, 'sqlite'));
    assert.equal(target.redis, undefined);
    assert.match(target.databaseUrl, /^sqlite:/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
