import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';

/**
 * The stores every storage-touching suite runs against. SQLite always; PostgreSQL at
 * 127.0.0.1:5432 when reachable. Under CI=true an unreachable PostgreSQL fails the run
 * instead of being skipped.
 */
export interface Backend {
  name: 'sqlite' | 'postgres';
  /** Creates a fresh, empty database and returns its URL and a cleanup. */
  create(): Promise<{ url: string; cleanup: () => Promise<void> }>;
}

export const PG_ADMIN_URL =
  process.env['LATCHKEY_TEST_PG_URL'] ?? 'postgres://postgres@127.0.0.1:5432/postgres';

const sqlite: Backend = {
  name: 'sqlite',
  async create() {
    const dir = mkdtempSync(join(tmpdir(), 'latchkey-test-'));
    return {
      url: `sqlite:${join(dir, 'latchkey.db')}`,
      cleanup: async () => rmSync(dir, { recursive: true, force: true }),
    };
  },
};

const postgres: Backend = {
  name: 'postgres',
  async create() {
    const name = `latchkey_test_${randomBytes(6).toString('hex')}`;
    const admin = new pg.Client({ connectionString: PG_ADMIN_URL });
    await admin.connect();
    try {
      await admin.query(`CREATE DATABASE ${name}`);
    } finally {
      await admin.end();
    }
    const url = new URL(PG_ADMIN_URL);
    url.pathname = `/${name}`;
    return {
      url: url.toString(),
      cleanup: async () => {
        const c = new pg.Client({ connectionString: PG_ADMIN_URL });
        await c.connect();
        try {
          await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
        } finally {
          await c.end();
        }
      },
    };
  },
};

let pgAvailable: Promise<boolean> | null = null;

async function probePostgres(): Promise<boolean> {
  // Generous, as for Redis (helpers/redis.ts): a slow answer on a busy machine must not read as absent.
  const c = new pg.Client({ connectionString: PG_ADMIN_URL, connectionTimeoutMillis: 10_000 });
  try {
    await c.connect();
    await c.query('select 1');
    return true;
  } catch {
    return false;
  } finally {
    await c.end().catch(() => {});
  }
}

/** The backends to run on; prints why PostgreSQL is skipped, and refuses to skip it in CI. */
export async function backends(): Promise<Backend[]> {
  pgAvailable ??= probePostgres();
  if (await pgAvailable) return [sqlite, postgres];
  if (process.env['CI']) throw new Error(`PostgreSQL is required in CI but ${PG_ADMIN_URL} is unreachable`);
  process.stdout.write(
    `# skipping PostgreSQL runs: ${PG_ADMIN_URL} is unreachable (set LATCHKEY_TEST_PG_URL)\n`,
  );
  return [sqlite];
}
