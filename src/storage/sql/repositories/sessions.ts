import { type Kysely, sql, type Transaction } from 'kysely';
import type { RotationRequest, SessionRepository } from '../../../session/ports.js';
import type { Session, SessionCredential, SessionKind } from '../../../session/types.js';
import type { StoreKind } from '../database.js';
import { GroupCommit } from '../group-commit.js';
import type { Database, SessionCredentialsTable, SessionsTable } from '../schema.js';

const toSession = (r: SessionsTable): Session => ({
  id: r.id,
  appId: r.app_id,
  userId: r.user_id,
  kind: r.kind as SessionKind,
  createdAt: r.created_at,
  expiresAt: r.expires_at,
  revokedAt: r.revoked_at,
  revokeReason: r.revoke_reason,
  clientIp: r.client_ip,
  userAgent: r.user_agent,
  data: JSON.parse(r.data) as Record<string, unknown>,
});

const toCredential = (r: SessionCredentialsTable): SessionCredential => ({
  id: r.id,
  sessionId: r.session_id,
  secretHash: r.secret_hash,
  createdAt: r.created_at,
  rotatedAt: r.rotated_at,
  successorId: r.successor_id,
  successorSealed: r.successor_sealed,
  graceUntil: r.grace_until,
});

const credentialRow = (c: SessionCredential): SessionCredentialsTable => ({
  id: c.id,
  session_id: c.sessionId,
  secret_hash: c.secretHash,
  created_at: c.createdAt,
  rotated_at: c.rotatedAt,
  successor_id: c.successorId,
  successor_sealed: c.successorSealed,
  grace_until: c.graceUntil,
});

export class SqlSessionRepository implements SessionRepository {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly kind: StoreKind = 'sqlite',
  ) {}

  async create(session: Session, first: SessionCredential): Promise<void> {
    await this.db.transaction().execute(async (trx) => {
      await trx
        .insertInto('sessions')
        .values({
          id: session.id,
          app_id: session.appId,
          user_id: session.userId,
          kind: session.kind,
          created_at: session.createdAt,
          expires_at: session.expiresAt,
          revoked_at: session.revokedAt,
          revoke_reason: session.revokeReason,
          client_ip: session.clientIp,
          user_agent: session.userAgent,
          data: JSON.stringify(session.data),
        })
        .execute();
      await trx.insertInto('session_credentials').values(credentialRow(first)).execute();
    });
  }

  async findSession(id: string): Promise<Session | null> {
    const row = await this.db.selectFrom('sessions').selectAll().where('id', '=', id).executeTakeFirst();
    return row ? toSession(row) : null;
  }

  async findCredential(id: string): Promise<SessionCredential | null> {
    const row = await this.db
      .selectFrom('session_credentials')
      .selectAll()
      .where('id', '=', id)
      .executeTakeFirst();
    return row ? toCredential(row) : null;
  }

  async findCredentialWithSession(
    id: string,
  ): Promise<{ credential: SessionCredential; session: Session } | null> {
    const row = await this.db
      .selectFrom('session_credentials as c')
      .innerJoin('sessions as s', 's.id', 'c.session_id')
      .select([
        'c.id as c_id',
        'c.session_id as c_session_id',
        'c.secret_hash as c_secret_hash',
        'c.created_at as c_created_at',
        'c.rotated_at as c_rotated_at',
        'c.successor_id as c_successor_id',
        'c.successor_sealed as c_successor_sealed',
        'c.grace_until as c_grace_until',
      ])
      .selectAll('s')
      .where('c.id', '=', id)
      .executeTakeFirst();
    if (!row) return null;
    return {
      credential: toCredential({
        id: row.c_id,
        session_id: row.c_session_id,
        secret_hash: row.c_secret_hash,
        created_at: row.c_created_at,
        rotated_at: row.c_rotated_at,
        successor_id: row.c_successor_id,
        successor_sealed: row.c_successor_sealed,
        grace_until: row.c_grace_until,
      }),
      session: toSession(row),
    };
  }

  async rotate(request: RotationRequest): Promise<boolean> {
    if (this.kind === 'postgres') return this.rotateInOneStatement(request);
    return this.rotations.submit(request);
  }

  /** SQLite: concurrent refreshes share one transaction (one fsync), see GroupCommit. */
  private readonly rotations = new GroupCommit<RotationRequest, boolean>(
    (requests) =>
      this.db.transaction().execute(async (trx) => {
        const won: boolean[] = [];
        // In order: a second rotation of one credential in the same batch loses, as it would alone.
        for (const request of requests) won.push(await rotateIn(trx, request));
        return won;
      }),
    (request) => this.db.transaction().execute((trx) => rotateIn(trx, request)),
  );

  /**
   * PostgreSQL: the compare-and-swap and the successor's insert as one statement, one
   * round trip instead of four (BEGIN, UPDATE, INSERT, COMMIT). A concurrent rotation
   * blocks on the row lock, then finds rotated_at set and inserts nothing.
   */
  private async rotateInOneStatement(request: RotationRequest): Promise<boolean> {
    const s = credentialRow(request.successor);
    const live = request.liveSessionId;
    const whileLive = live
      ? sql`and session_id = ${live} and exists (
          select 1 from sessions
          where id = ${live} and expires_at > ${request.now}
            and (revoked_at is null or revoked_at > ${request.now}))`
      : sql``;
    const { rows } = await sql<{ id: string }>`
      with rotated as (
        update session_credentials
        set rotated_at = ${request.now}, successor_id = ${s.id},
            successor_sealed = ${request.successorSealed}, grace_until = ${request.graceUntil}
        where id = ${request.credentialId} and rotated_at is null ${whileLive}
        returning id
      )
      insert into session_credentials
        (id, session_id, secret_hash, created_at, rotated_at, successor_id, successor_sealed, grace_until)
      select cast(${s.id} as text), cast(${s.session_id} as text), cast(${s.secret_hash} as text),
             cast(${s.created_at} as bigint), cast(${s.rotated_at} as bigint),
             cast(${s.successor_id} as text), cast(${s.successor_sealed} as text),
             cast(${s.grace_until} as bigint)
      from rotated
      returning id`.execute(this.db);
    return rows.length === 1;
  }

  async revoke(id: string, at: number, reason: string): Promise<boolean> {
    const result = await this.db
      .updateTable('sessions')
      .set({ revoked_at: at, revoke_reason: reason })
      .where('id', '=', id)
      .where((eb) => eb.or([eb('revoked_at', 'is', null), eb('revoked_at', '>', at)]))
      .executeTakeFirst();
    return Number(result.numUpdatedRows) > 0;
  }

  async revokeAllForUser(
    userId: string,
    at: number,
    reason: string,
    exceptSessionId?: string,
  ): Promise<string[]> {
    // One statement: a sign-out committed meanwhile keeps its own (earlier) time and reason.
    let q = this.db
      .updateTable('sessions')
      .set({ revoked_at: at, revoke_reason: reason })
      .where('user_id', '=', userId)
      .where('expires_at', '>', at)
      .where((eb) => eb.or([eb('revoked_at', 'is', null), eb('revoked_at', '>', at)]));
    if (exceptSessionId) q = q.where('id', '!=', exceptSessionId);
    return (await q.returning('id').execute()).map((r) => r.id);
  }

  async cancelScheduledRevocations(userId: string, now: number, reason: string): Promise<string[]> {
    // One statement: a revocation made meanwhile (a sign-out, now) is not the scheduled one and stays.
    const rows = await this.db
      .updateTable('sessions')
      .set({ revoked_at: null, revoke_reason: null })
      .where('user_id', '=', userId)
      .where('revoked_at', '>', now)
      .where('revoke_reason', '=', reason)
      .returning('id')
      .execute();
    return rows.map((r) => r.id);
  }

  async retainRevocationsOfUser(userId: string): Promise<void> {
    await this.db
      .insertInto('revoked_session_tombstones')
      .columns(['session_id', 'revoked_at', 'expires_at'])
      .expression((eb) =>
        eb
          .selectFrom('sessions')
          .select(['id', 'revoked_at', 'expires_at'])
          .where('user_id', '=', userId)
          .where('revoked_at', 'is not', null),
      )
      .onConflict((oc) => oc.column('session_id').doNothing())
      .execute();
  }

  async listRevokedSince(since: number): Promise<Array<{ id: string; revokedAt: number }>> {
    const rows = await this.db
      .selectFrom('sessions')
      .select(['id', 'revoked_at'])
      .where('revoked_at', '>=', since)
      .unionAll((eb) =>
        eb
          .selectFrom('revoked_session_tombstones')
          .select(['session_id as id', 'revoked_at'])
          .where('revoked_at', '>=', since),
      )
      .execute();
    return rows.map((r) => ({ id: r.id, revokedAt: r.revoked_at! }));
  }

  async deleteEndedBefore(before: number, limit = Number.MAX_SAFE_INTEGER): Promise<number> {
    const ended = (table: 'sessions' | 'revoked_session_tombstones') =>
      this.db
        .selectFrom(table)
        .where((eb) => eb.or([eb('expires_at', '<', before), eb('revoked_at', '<', before)]))
        .limit(limit);
    await this.db
      .deleteFrom('revoked_session_tombstones')
      .where('session_id', 'in', ended('revoked_session_tombstones').select('session_id'))
      .execute();
    const result = await this.db
      .deleteFrom('sessions')
      .where('id', 'in', ended('sessions').select('id'))
      .executeTakeFirst();
    return Number(result.numDeletedRows);
  }
}

/**
 * The compare-and-swap of a rotation inside a transaction: the conditional update marks
 * the credential rotated only if it was not (and, with liveSessionId, only while that
 * session is live); exactly one request then inserts a successor.
 */
async function rotateIn(trx: Transaction<Database>, request: RotationRequest): Promise<boolean> {
  const { now, liveSessionId } = request;
  let update = trx
    .updateTable('session_credentials')
    .set({
      rotated_at: now,
      successor_id: request.successor.id,
      successor_sealed: request.successorSealed,
      grace_until: request.graceUntil,
    })
    .where('id', '=', request.credentialId)
    .where('rotated_at', 'is', null);
  if (liveSessionId !== undefined) {
    update = update.where('session_id', '=', liveSessionId).where(({ exists, selectFrom }) =>
      exists(
        selectFrom('sessions')
          .select('id')
          .where('id', '=', liveSessionId)
          .where('expires_at', '>', now)
          .where((eb) => eb.or([eb('revoked_at', 'is', null), eb('revoked_at', '>', now)])),
      ),
    );
  }
  const result = await update.executeTakeFirst();
  if (Number(result.numUpdatedRows) !== 1) return false;
  await trx.insertInto('session_credentials').values(credentialRow(request.successor)).execute();
  return true;
}
