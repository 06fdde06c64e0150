import { existsSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import SQLite from 'better-sqlite3';
import { Kysely, Migrator, PostgresDialect, SqliteDialect, sql } from 'kysely';
import pg from 'pg';
import { isLatchkeyError } from '../../shared/errors.js';
import {
  privateDirectory,
  privateFile,
  stderrWarn,
  type Warn,
  warnIfShared,
} from '../../shared/private-files.js';
import { migrationProvider } from './migrations/index.js';
import { reportingOutages } from './outages.js';
import type { Database } from './schema.js';
import { CachedStatementDatabase } from './sqlite-statements.js';

export type StoreKind = 'sqlite' | 'postgres';

export interface Store {
  kind: StoreKind;
  db: Kysely<Database>;
  /** Cheap round trip for readiness checks. */
  ping(): Promise<void>;
  close(): Promise<void>;
}

// int8 columns hold millisecond timestamps; they fit a JavaScript number exactly.
pg.types.setTypeParser(20, (value: string) => Number(value));

export function sqlitePathFromUrl(url: string): string {
  const path = url.replace(/^sqlite:(\/\/)?/, '');
  if (!path) throw new Error('DATABASE_URL: sqlite URL has no path');
  return path;
}

export interface OpenStoreOptions {
  poolSize?: number;
  /**
   * A SQLite file in this directory (the configured data directory) may have its directory
   * created; any other missing directory is a mistake in DATABASE_URL, and an error.
   */
  createDirectoryIn?: string;
  /** Where a database file or directory open to other local users is reported; stderr by default. */
  warn?: Warn;
}

export function openStore(url: string, options: OpenStoreOptions = {}): Store {
  if (url.startsWith('sqlite:'))
    return openSqlite(sqlitePathFromUrl(url), options.createDirectoryIn, options.warn ?? stderrWarn);
  if (/^postgres(ql)?:/.test(url)) return openPostgres(url, options.poolSize ?? 10);
  throw new Error(`DATABASE_URL: unsupported scheme in ${url.split(':')[0]}:`);
}

function openSqlite(path: string, createDirectoryIn: string | undefined, warn: Warn): Store {
  const onDisk = path !== ':memory:';
  // The file holds the password hashes: created 0600 before SQLite opens it (SQLite would
  // create it 0644), in a 0700 directory. SQLite gives the -wal and -shm files the mode
  // of the database file, so they follow.
  if (onDisk) {
    const dir = dirname(resolve(path));
    const mayCreate = createDirectoryIn !== undefined && dir === resolve(createDirectoryIn);
    if (!mayCreate && !existsSync(dir))
      throw new Error(
        `DATABASE_URL: the directory of the SQLite file ${path} does not exist (${dir}); create it, or fix the path`,
      );
    privateDirectory(dir, warn);
    privateFile(path, warn);
  }
  const raw = new SQLite(path);
  // WAL lets readers run beside the writer; FULL makes every acknowledged commit durable
  // across power loss, not only across a process crash (security-checklist §10).
  raw.pragma('journal_mode = WAL');
  raw.pragma('synchronous = FULL');
  raw.pragma('busy_timeout = 5000');
  raw.pragma('foreign_keys = ON');
  if (onDisk) for (const companion of ['-wal', '-shm']) warnIfShared(`${path}${companion}`, 0o600, warn);
  const db = new Kysely<Database>({
    dialect: reportingOutages(new SqliteDialect({ database: new CachedStatementDatabase(raw) })),
  });
  return {
    kind: 'sqlite',
    db,
    ping: async () => {
      await sql`select 1`.execute(db);
    },
    close: () => db.destroy(),
  };
}

function openPostgres(url: string, poolSize: number): Store {
  const pool = new pg.Pool({
    connectionString: url,
    max: poolSize,
    // Fail fast when the database is unreachable: callers answer 503 instead of hanging.
    connectionTimeoutMillis: 3000,
    statement_timeout: 10000,
  });
  // A client losing its connection emits 'error' besides failing its query; unheard, that
  // event would crash the process. Idle clients report to the pool, checked-out ones to
  // their own listener; the failed query still rejects, and the pool replaces the client.
  pool.on('error', () => {});
  pool.on('connect', (client) => {
    client.on('error', () => {});
  });
  const db = new Kysely<Database>({ dialect: reportingOutages(new PostgresDialect({ pool })) });
  return {
    kind: 'postgres',
    db,
    ping: async () => {
      await sql`select 1`.execute(db);
    },
    close: () => db.destroy(),
  };
}

/** A password in a URL is never printed. */
function redactedUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    return parsed.toString();
  } catch {
    return url.split('@').at(-1) ?? url;
  }
}

/**
 * The first query of a start-up or a command: a store that does not answer is reported with
 * the setting that names it (DATABASE_URL), not only the driver's `connect ECONNREFUSED …`.
 */
export async function checkReachable(store: Store, url: string): Promise<void> {
  try {
    await store.ping();
  } catch (err) {
    // The store reports an outage as the storage_unavailable domain error; the operator
    // needs the driver's own reason (ECONNREFUSED, a bad password) that it wraps.
    const reason = isLatchkeyError(err) && err.cause !== undefined ? err.cause : err;
    const why = reason instanceof Error ? reason.message : String(reason);
    throw new Error(`DATABASE_URL: cannot reach the database at ${redactedUrl(url)}: ${why}`, { cause: err });
  }
}

export async function migrateToLatest(db: Kysely<Database>): Promise<string[]> {
  const migrator = new Migrator({ db, provider: migrationProvider });
  const { error, results } = await migrator.migrateToLatest();
  if (error) throw error instanceof Error ? error : new Error(String(error));
  return (results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName);
}

/** True when a write broke a unique constraint, on either store. */
export function isUniqueViolation(err: unknown): boolean {
  if (!err || typeof err !== 'object') return false;
  const code = (err as { code?: unknown }).code;
  return code === '23505' || code === 'SQLITE_CONSTRAINT_UNIQUE' || code === 'SQLITE_CONSTRAINT_PRIMARYKEY';
}
