import { randomBytes } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import pg from 'pg';
import type { StoreName } from './options.js';
import type { ServerTarget } from './server-process.js';

/** A fresh database for one run, and how to get rid of it. */
export interface StoreTarget extends ServerTarget {
  name: StoreName;
  /** For the report, e.g. "SQLite (WAL, synchronous=FULL), file in /tmp/…" or "PostgreSQL 16.2 at …". */
  description: string;
  cleanup(): Promise<void>;
}

/** Where PostgreSQL is looked for (trust auth on the loopback interface). */
export const PG_ADMIN_URL = process.env['BENCH_PG_URL'] ?? 'postgres://postgres@127.0.0.1:5432/postgres';

/** Where Redis is looked for; the PostgreSQL runs use it when it answers, as a deployment of several nodes would. */
export const REDIS_URL = process.env['BENCH_REDIS_URL'] ?? 'redis://127.0.0.1:6379';

function secret(): string {
  return randomBytes(36).toString('base64url'); // 48 characters
}

async function withAdmin<T>(run: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: PG_ADMIN_URL, connectionTimeoutMillis: 2_000 });
  await client.connect();
  try {
    return await run(client);
  } finally {
    await client.end().catch(() => {});
  }
}

/** PostgreSQL's version when it answers, else null. */
export async function postgresVersion(): Promise<string | null> {
  try {
    const rows = await withAdmin(
      async (c) => (await c.query<{ server_version: string }>('show server_version')).rows,
    );
    return rows[0]?.server_version.split(' ')[0] ?? null;
  } catch {
    return null;
  }
}

/**
 * A fresh, empty database of the given kind with its own data directory `dataDir`:
 * a SQLite file in it, or a PostgreSQL database created for this run (dropped by cleanup).
 */
export async function createTarget(kind: StoreName, dataDir: string): Promise<StoreTarget> {
  mkdirSync(dataDir, { recursive: true });
  if (kind === 'sqlite') {
    return {
      name: 'sqlite',
      description: `SQLite (WAL, synchronous=FULL), file in ${dataDir}`,
      databaseUrl: `sqlite:${join(dataDir, 'bench.db')}`,
      dataDir,
      secret: secret(),
      // The file goes with the run's temporary directory.
      cleanup: async () => {},
    };
  }
  const version = (await postgresVersion()) ?? 'unreachable';
  const redisVersion = await redisServerVersion();
  const name = `latchkey_bench_${randomBytes(6).toString('hex')}`;
  await withAdmin((c) => c.query(`CREATE DATABASE ${name}`));
  const url = new URL(PG_ADMIN_URL);
  url.pathname = `/${name}`;
  // Keys of this run only, so a shared Redis keeps nothing of it after cleanup.
  const redis = redisVersion ? { url: REDIS_URL, prefix: `${name}:` } : undefined;
  return {
    name: 'postgres',
    description: redis
      ? `PostgreSQL ${version} at ${url.host}, with Redis ${redisVersion} at ${new URL(REDIS_URL).host} (shared counters and revocation)`
      : `PostgreSQL ${version} at ${url.host}, without Redis (none answered at ${new URL(REDIS_URL).host}; counters in the process)`,
    databaseUrl: url.toString(),
    dataDir,
    secret: secret(),
    redis,
    cleanup: async () => {
      await withAdmin((c) => c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`));
      if (redis) await deleteKeys(redis.prefix);
    },
  };
}

function redisClient(): Redis {
  const client = new Redis(REDIS_URL, {
    lazyConnect: true,
    maxRetriesPerRequest: 0,
    connectTimeout: 1_000,
    retryStrategy: () => null,
  });
  client.on('error', () => {});
  return client;
}

/** Redis's version when it answers, else null. */
async function redisServerVersion(): Promise<string | null> {
  const client = redisClient();
  try {
    await client.connect();
    return /redis_version:(\S+)/.exec(await client.info('server'))?.[1] ?? 'unknown';
  } catch {
    return null;
  } finally {
    client.disconnect();
  }
}

async function deleteKeys(prefix: string): Promise<void> {
  const client = redisClient();
  try {
    await client.connect();
    const keys = await client.keys(`${prefix}*`);
    if (keys.length > 0) await client.del(...keys);
  } finally {
    client.disconnect();
  }
}
