import { type Kysely, sql } from 'kysely';
import type { SealedColumn, SealedValue, SealedValueStore } from '../../../secrets/ports.js';
import type { Database } from '../schema.js';

/** The primary key of each sealed column's rows; the table and column are in the name itself. */
const KEYS: Record<SealedColumn, string> = {
  'signing_keys.private_sealed': 'kid',
  'session_credentials.successor_sealed': 'id',
  'mfa_totp_pending.secret_sealed': 'user_id',
  'mfa_totp.secret_sealed': 'user_id',
  'mail_outbox.payload_sealed': 'id',
};

function locate(sealedColumn: SealedColumn): { table: string; column: string; key: string } {
  const [table, column] = sealedColumn.split('.') as [string, string];
  return { table, column, key: KEYS[sealedColumn] };
}

/**
 * The sealed columns of every table, paged in key order (keyset pagination: rows added
 * or removed meanwhile never shift a page), with the same SQL on both stores.
 */
export class SqlSealedValueStore implements SealedValueStore {
  constructor(private readonly db: Kysely<Database>) {}

  async page(column: SealedColumn, after: string | null, limit: number): Promise<SealedValue[]> {
    const { table, column: name, key } = locate(column);
    // A sent mail's body is erased to '': nothing sealed is left there.
    const present = sql`${sql.ref(name)} is not null and ${sql.ref(name)} <> ''`;
    const where = after === null ? present : sql`${present} and ${sql.ref(key)} > ${after}`;
    const { rows } = await sql<{
      row_key: string;
      sealed: string;
    }>`select ${sql.ref(key)} as row_key, ${sql.ref(name)} as sealed
      from ${sql.table(table)} where ${where} order by ${sql.ref(key)} limit ${limit}`.execute(this.db);
    return rows.map((row) => ({ key: row.row_key, sealed: row.sealed }));
  }

  async get(column: SealedColumn, key: string): Promise<string | null> {
    const { table, column: name, key: keyColumn } = locate(column);
    const { rows } = await sql<{ sealed: string | null }>`select ${sql.ref(name)} as sealed
      from ${sql.table(table)} where ${sql.ref(keyColumn)} = ${key}`.execute(this.db);
    const sealed = rows[0]?.sealed;
    return sealed ? sealed : null;
  }

  async replace(column: SealedColumn, key: string, previous: string, next: string): Promise<boolean> {
    const { table, column: name, key: keyColumn } = locate(column);
    const result = await sql`update ${sql.table(table)} set ${sql.ref(name)} = ${next}
      where ${sql.ref(keyColumn)} = ${key} and ${sql.ref(name)} = ${previous}`.execute(this.db);
    return Number(result.numAffectedRows ?? 0n) === 1;
  }
}
