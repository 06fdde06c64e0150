import { randomBytes } from 'node:crypto';
import { newId } from '../../src/shared/ids.js';
import { openStore, type Store } from '../../src/storage/sql/database.js';
import { closedLoop, type InProcessRate } from '../stats.js';

interface Chain {
  sessionId: string;
  /** The credential the next rotation replaces. */
  current: string;
}

/** A fresh session with its first credential: one rotation chain. */
async function newChain(store: Store, appId: string, userId: string): Promise<Chain> {
  const now = Date.now();
  const sessionId = newId();
  const credentialId = newId();
  await store.db.transaction().execute(async (trx) => {
    await trx
      .insertInto('sessions')
      .values({
        id: sessionId,
        app_id: appId,
        user_id: userId,
        kind: 'rpc',
        created_at: now,
        expires_at: now + 86_400_000,
        revoked_at: null,
        revoke_reason: null,
        client_ip: '127.0.0.1',
        user_agent: 'latchkey-bench',
        data: '{"transport":"token","projection":{"profile":false,"permissions":false}}',
      })
      .execute();
    await trx
      .insertInto('session_credentials')
      .values({
        id: credentialId,
        session_id: sessionId,
        secret_hash: null,
        created_at: now,
        rotated_at: null,
        successor_id: null,
        successor_sealed: null,
        grace_until: null,
      })
      .execute();
  });
  return { sessionId, current: credentialId };
}

export interface StoreWrites {
  measure(durationS: number): Promise<InProcessRate>;
  close(): Promise<void>;
}

/**
 * The refresh limit: the store's own rate of the write transaction a refresh commits
 * (what SqlSessionRepository.rotate does: a conditional UPDATE of the presented
 * credential plus the INSERT of its successor), through Kysely in this process, on the
 * same database as the server and with the same concurrency, without HTTP.
 * `sealedLength` is the size of the sealed successor the server stores with it.
 */
export async function storeWrites(
  databaseUrl: string,
  concurrency: number,
  sealedLength: number,
): Promise<StoreWrites> {
  const store = openStore(databaseUrl);
  try {
    const user = await store.db.selectFrom('users').select(['id', 'app_id']).limit(1).executeTakeFirst();
    if (!user) throw new Error('store-write limit: no user to hang sessions on (seed first)');
    const chains: Chain[] = [];
    for (let i = 0; i < concurrency; i++) chains.push(await newChain(store, user.app_id, user.id));
    const sealed = randomBytes(Math.ceil((sealedLength * 3) / 4))
      .toString('base64url')
      .slice(0, sealedLength);
    const rotate = async (worker: number) => {
      const chain = chains[worker]!;
      const now = Date.now();
      const successor = newId();
      const won = await store.db.transaction().execute(async (trx) => {
        const result = await trx
          .updateTable('session_credentials')
          .set({
            rotated_at: now,
            successor_id: successor,
            successor_sealed: sealed,
            grace_until: now + 60_000,
          })
          .where('id', '=', chain.current)
          .where('rotated_at', 'is', null)
          .executeTakeFirst();
        if (Number(result.numUpdatedRows) !== 1) return false;
        await trx
          .insertInto('session_credentials')
          .values({
            id: successor,
            session_id: chain.sessionId,
            secret_hash: null,
            created_at: now,
            rotated_at: null,
            successor_id: null,
            successor_sealed: null,
            grace_until: null,
          })
          .execute();
        return true;
      });
      if (!won) throw new Error('store-write limit: a rotation lost its compare-and-swap');
      chain.current = successor;
    };
    return { measure: (durationS) => closedLoop(concurrency, durationS, rotate), close: () => store.close() };
  } catch (err) {
    await store.close();
    throw err;
  }
}
