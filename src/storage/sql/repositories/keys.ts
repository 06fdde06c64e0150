import type { Kysely } from 'kysely';
import type { KeyRepository, StoredKey } from '../../../tokens/ports.js';
import type { Database } from '../schema.js';

export class SqlKeyRepository implements KeyRepository {
  constructor(private readonly db: Kysely<Database>) {}

  async list(): Promise<StoredKey[]> {
    const rows = await this.db.selectFrom('signing_keys').selectAll().orderBy('created_at', 'desc').execute();
    return rows.map((r) => ({
      kid: r.kid,
      alg: r.alg,
      publicJwk: r.public_jwk,
      privateSealed: r.private_sealed,
      createdAt: r.created_at,
      retiredAt: r.retired_at,
      verifyUntil: r.verify_until,
    }));
  }

  async insert(key: StoredKey): Promise<void> {
    await this.db
      .insertInto('signing_keys')
      .values({
        kid: key.kid,
        alg: key.alg,
        public_jwk: key.publicJwk,
        private_sealed: key.privateSealed,
        created_at: key.createdAt,
        retired_at: key.retiredAt,
        verify_until: key.verifyUntil,
      })
      .execute();
  }

  async retireAllExcept(keepKid: string, retiredAt: number, verifyUntil: number): Promise<void> {
    await this.db
      .updateTable('signing_keys')
      .set({ retired_at: retiredAt, verify_until: verifyUntil })
      .where('kid', '!=', keepKid)
      .where('retired_at', 'is', null)
      .execute();
  }
}
