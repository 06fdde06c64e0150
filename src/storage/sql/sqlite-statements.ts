import type SQLite from 'better-sqlite3';
import type { SqliteDatabase, SqliteStatement } from 'kysely';
import { LRUCache } from 'lru-cache';

/**
 * Hands Kysely's SQLite driver prepared statements from a bounded cache keyed by SQL
 * text. Kysely prepares every query anew, and on the token path compiling the SQL in
 * SQLite cost more than running it (a fifth of the CPU in a profile of user.info).
 *
 * Reusing a statement is safe because better-sqlite3 runs `all()` and `run()` to
 * completion synchronously; only `iterate()` keeps a statement busy across awaits, so
 * streams get a statement of their own. SQLite re-prepares a cached statement by itself
 * when a migration changes the schema.
 */
export class CachedStatementDatabase implements SqliteDatabase {
  private readonly statements: LRUCache<string, SqliteStatement>;

  constructor(
    private readonly raw: SQLite.Database,
    maxStatements = 500,
  ) {
    this.statements = new LRUCache({ max: maxStatements });
  }

  prepare(sql: string): SqliteStatement {
    const cached = this.statements.get(sql);
    if (cached) return cached;
    const statement = this.raw.prepare(sql);
    const shared: SqliteStatement = {
      reader: statement.reader,
      all: (parameters) => statement.all(parameters),
      run: (parameters) => statement.run(parameters),
      iterate: (parameters) => this.raw.prepare(sql).iterate(parameters),
    };
    this.statements.set(sql, shared);
    return shared;
  }

  close(): void {
    this.statements.clear();
    this.raw.close();
  }
}
