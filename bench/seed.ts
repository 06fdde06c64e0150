/**
 * `bench seed`: node dist/bench/seed.js --users N --database-url URL [--app owner/name]
 *
 * Makes sure the app has at least N bench users (`bench<i>`, see users.ts), inserting
 * the missing ones directly through Kysely in large batched transactions. Every user
 * gets the same argon2id hash, computed once with the production (OWASP) parameters,
 * so a million users take minutes rather than a million hashes. Runs the migrations
 * and creates the app first, the way the server does. Progress goes to stderr, a JSON
 * summary to stdout. Do not run it while a server writes to the same SQLite file.
 */
import { parseArgs } from 'node:util';
import { sql } from 'kysely';
import { AppService } from '../src/identity/apps.js';
import { OWASP_ARGON2, PasswordHasher } from '../src/identity/passwords.js';
import { systemClock } from '../src/shared/clock.js';
import { newId } from '../src/shared/ids.js';
import { migrateToLatest, openStore, type Store } from '../src/storage/sql/database.js';
import { sqlRepositories } from '../src/storage/sql/repositories/index.js';
import { exitWith, UsageError } from './usage.js';
import { BENCH_PASSWORD, benchEmail, benchUsername, USERNAME_PREFIX } from './users.js';

/** Users per transaction, and rows per INSERT statement (under SQLite's 32,766 and PostgreSQL's 65,535 parameters). */
const USERS_PER_TRANSACTION = 20_000;
const ROWS_PER_STATEMENT: Record<Store['kind'], number> = { sqlite: 2_000, postgres: 5_000 };

function options() {
  const { values } = parseArgs({
    options: {
      users: { type: 'string' },
      'database-url': { type: 'string' },
      app: { type: 'string', default: 'latchkey/default' },
    },
    strict: true,
  });
  const users = Number(values.users);
  const url = values['database-url'];
  if (!Number.isInteger(users) || users < 0 || !url)
    throw new UsageError('usage: node dist/bench/seed.js --users N --database-url URL [--app owner/name]');
  return { users, url, app: values.app };
}

async function countBenchUsers(store: Store, appId: string): Promise<number> {
  const row = await store.db
    .selectFrom('users')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('app_id', '=', appId)
    .where('username_key', 'like', `${USERNAME_PREFIX}%`)
    .executeTakeFirst();
  return Number(row?.n ?? 0);
}

async function insertBatch(store: Store, appId: string, from: number, to: number, hash: string) {
  const now = Date.now();
  await store.db.transaction().execute(async (trx) => {
    const rows = ROWS_PER_STATEMENT[store.kind];
    for (let start = from; start < to; start += rows) {
      const end = Math.min(start + rows, to);
      const users = [];
      const emails = [];
      for (let i = start; i < end; i++) {
        const id = newId();
        const username = benchUsername(i);
        users.push({
          id,
          app_id: appId,
          username,
          username_key: username.toLowerCase(),
          full_name: `Bench User ${i}`,
          picture: null,
          password_hash: hash,
          is_active: 1,
          deactivated_at: null,
          created_at: now,
          updated_at: now,
        });
        const address = benchEmail(i);
        emails.push({
          id: newId(),
          app_id: appId,
          user_id: id,
          address,
          address_key: address.toLowerCase(),
          is_verified: 1,
          is_primary: 1,
          created_at: now,
        });
      }
      await trx.insertInto('users').values(users).execute();
      await trx.insertInto('user_emails').values(emails).execute();
    }
  });
}

async function main(): Promise<void> {
  const { users, url, app: qname } = options();
  const started = performance.now();
  const store = openStore(url);
  try {
    await migrateToLatest(store.db);
    // A bigger page cache for this connection only: random-id inserts into a large index otherwise thrash it.
    if (store.kind === 'sqlite') await sql`pragma cache_size = -262144`.execute(store.db);
    const repos = sqlRepositories(store);
    const app = await new AppService(repos.apps, repos.permissions, systemClock).ensure(qname);
    const existing = await countBenchUsers(store, app.id);
    const hash = await new PasswordHasher(OWASP_ARGON2).hash(BENCH_PASSWORD);
    let done = existing;
    let reported = performance.now();
    while (done < users) {
      const to = Math.min(done + USERS_PER_TRANSACTION, users);
      await insertBatch(store, app.id, done, to, hash);
      done = to;
      if (performance.now() - reported > 2_000 || done === users) {
        reported = performance.now();
        const rate = (done - existing) / ((reported - started) / 1000);
        process.stderr.write(`seed: ${done}/${users} users (${Math.round(rate)}/s)\n`);
      }
    }
    // As after any bulk load: fresh planner statistics, and no autovacuum kicking in during the measurements.
    if (store.kind === 'postgres' && done > existing)
      await sql`vacuum analyze users, user_emails`.execute(store.db);
    const seconds = (performance.now() - started) / 1000;
    process.stdout.write(
      `${JSON.stringify({ users: Math.max(done, existing), inserted: done - existing, seconds })}\n`,
    );
  } finally {
    await store.close();
  }
}

main().catch((err: unknown) => exitWith('seed', err));
