import SQLite from 'better-sqlite3';
import pg from 'pg';
import { sqlitePathFromUrl } from '../../src/storage/sql/database.js';
import type { Backend } from '../helpers/backends.js';

/**
 * The store's own verdict on a database after a crash (not a test file itself):
 * SQLite's `integrity_check`; on PostgreSQL, amcheck over every table's heap and every
 * B-tree index of the schema (each index also checked to hold every heap tuple).
 * Returns the problems found, [] when sound, and how much was checked.
 */
export async function integrityProblems(
  backend: Backend['name'],
  url: string,
): Promise<{ problems: string[]; checked: number }> {
  if (backend === 'sqlite') {
    const raw = new SQLite(sqlitePathFromUrl(url));
    try {
      const verdict = raw.pragma('integrity_check', { simple: true });
      const tables = raw.prepare("select count(*) as n from sqlite_master where type = 'table'").get() as {
        n: number;
      };
      return { problems: verdict === 'ok' ? [] : [String(verdict)], checked: tables.n };
    } finally {
      raw.close();
    }
  }
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query('create extension if not exists amcheck');
    const heaps = await client.query<{ rel: string; msg: string }>(
      `select c.relname as rel, v.msg from pg_class c, lateral verify_heapam(c.oid) v
        where c.relkind = 'r' and c.relnamespace = 'public'::regnamespace`,
    );
    const indexes = await client.query<{ name: string }>(
      `select c.relname as name from pg_index i
         join pg_class c on c.oid = i.indexrelid
         join pg_am am on am.oid = c.relam
        where am.amname = 'btree' and c.relnamespace = 'public'::regnamespace`,
    );
    // bt_index_check raises on corruption: each failure becomes a problem.
    const problems = heaps.rows.map((r) => `${r.rel}: ${r.msg}`);
    for (const { name } of indexes.rows) {
      try {
        await client.query('select bt_index_check($1::regclass, true)', [name]);
      } catch (err) {
        problems.push(`${name}: ${(err as Error).message}`);
      }
    }
    return { problems, checked: indexes.rows.length };
  } finally {
    await client.end();
  }
}
