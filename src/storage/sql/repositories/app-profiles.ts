import type { Kysely } from 'kysely';
import type { ProfileRepository } from '../../../apps/ports.js';
import type { Job, JobStatus, Profile, ProfileStatus, SubjectKind } from '../../../apps/types.js';
import type { AppJobsTable, AppProfilesTable, Database } from '../schema.js';

const toProfile = (r: AppProfilesTable): Profile => ({
  userId: r.user_id,
  appId: r.app_id,
  login: r.login,
  subjectKind: (r.subject_kind === 2 ? 2 : 1) as SubjectKind,
  wsid: r.wsid,
  status: r.status as ProfileStatus,
  error: r.error,
  createdAt: r.created_at,
  updatedAt: r.updated_at,
});

const toJob = (r: AppJobsTable): Job => ({
  id: r.id,
  appId: r.app_id,
  userId: r.user_id,
  kind: 'provision-profile',
  status: r.status as JobStatus,
  attempts: r.attempts,
  runAfter: r.run_after,
  lockedUntil: r.locked_until,
  lastError: r.last_error,
  createdAt: r.created_at,
  updatedAt: r.updated_at,
});

/**
 * Profiles, WSID sequences and provisioning jobs. Every state change is a conditional
 * write (compare-and-swap on status and lease), so concurrent workers on any number of
 * nodes never both finish a job. Transactions start with their write, which on SQLite
 * takes the write lock at once instead of upgrading a read (SQLITE_BUSY).
 */
export class SqlProfileRepository implements ProfileRepository {
  constructor(private readonly db: Kysely<Database>) {}

  async createWithJob(profile: Profile, job: Job): Promise<boolean> {
    return this.db.transaction().execute(async (trx) => {
      const inserted = await trx
        .insertInto('app_profiles')
        .values({
          user_id: profile.userId,
          app_id: profile.appId,
          login: profile.login,
          subject_kind: profile.subjectKind,
          wsid: profile.wsid,
          status: profile.status,
          error: profile.error,
          created_at: profile.createdAt,
          updated_at: profile.updatedAt,
        })
        .onConflict((oc) => oc.column('user_id').doNothing())
        .executeTakeFirst();
      if (Number(inserted.numInsertedOrUpdatedRows ?? 0) !== 1) return false;
      await trx
        .insertInto('app_jobs')
        .values({
          id: job.id,
          app_id: job.appId,
          user_id: job.userId,
          kind: job.kind,
          status: job.status,
          attempts: job.attempts,
          run_after: job.runAfter,
          locked_until: job.lockedUntil,
          last_error: job.lastError,
          created_at: job.createdAt,
          updated_at: job.updatedAt,
        })
        .execute();
      return true;
    });
  }

  async findProfile(appId: string, userId: string): Promise<Profile | null> {
    const row = await this.db
      .selectFrom('app_profiles')
      .selectAll()
      .where('app_id', '=', appId)
      .where('user_id', '=', userId)
      .executeTakeFirst();
    return row ? toProfile(row) : null;
  }

  async nextWsidBase(appId: string, firstBase: number): Promise<number> {
    // One atomic statement on both stores: insert the sequence, or move it on by one.
    const row = await this.db
      .insertInto('app_wsid_counters')
      .values({ app_id: appId, next_base: firstBase + 1 })
      .onConflict((oc) =>
        oc.column('app_id').doUpdateSet((eb) => ({ next_base: eb('app_wsid_counters.next_base', '+', 1) })),
      )
      .returning('next_base')
      .executeTakeFirstOrThrow();
    return Number(row.next_base) - 1;
  }

  async assignWsid(userId: string, wsid: number, now: number): Promise<number | null> {
    await this.db
      .updateTable('app_profiles')
      .set({ wsid, updated_at: now })
      .where('user_id', '=', userId)
      .where('wsid', 'is', null)
      .execute();
    const row = await this.db
      .selectFrom('app_profiles')
      .select('wsid')
      .where('user_id', '=', userId)
      .executeTakeFirst();
    return row?.wsid ?? null;
  }

  async claimDueJobs(now: number, leaseMs: number, limit: number): Promise<Job[]> {
    const candidates = await this.db
      .selectFrom('app_jobs')
      .select('id')
      .where((eb) =>
        eb.or([
          eb.and([
            eb('status', '=', 'pending'),
            eb('run_after', '<=', now),
            eb.or([eb('locked_until', 'is', null), eb('locked_until', '<=', now)]),
          ]),
          eb.and([eb('status', '=', 'running'), eb('locked_until', '<=', now)]),
        ]),
      )
      .orderBy('run_after')
      .orderBy('id')
      .limit(limit)
      .execute();
    const claimed: Job[] = [];
    for (const { id } of candidates) {
      const result = await this.db
        .updateTable('app_jobs')
        .set((eb) => ({
          status: 'running',
          locked_until: now + leaseMs,
          attempts: eb('attempts', '+', 1),
          updated_at: now,
        }))
        .where('id', '=', id)
        .where((eb) =>
          eb.or([
            eb.and([
              eb('status', '=', 'pending'),
              eb('run_after', '<=', now),
              eb.or([eb('locked_until', 'is', null), eb('locked_until', '<=', now)]),
            ]),
            eb.and([eb('status', '=', 'running'), eb('locked_until', '<=', now)]),
          ]),
        )
        .executeTakeFirst();
      if (Number(result.numUpdatedRows) !== 1) continue;
      const row = await this.db.selectFrom('app_jobs').selectAll().where('id', '=', id).executeTakeFirst();
      if (row) claimed.push(toJob(row));
    }
    return claimed;
  }

  private finish(
    jobId: string,
    lockedUntil: number,
    now: number,
    outcome: { job: 'done' | 'failed'; profile: ProfileStatus; error: string | null },
  ): Promise<boolean> {
    return this.db.transaction().execute(async (trx) => {
      const result = await trx
        .updateTable('app_jobs')
        .set({ status: outcome.job, locked_until: null, last_error: outcome.error, updated_at: now })
        .where('id', '=', jobId)
        .where('status', '=', 'running')
        .where('locked_until', '=', lockedUntil)
        .executeTakeFirst();
      if (Number(result.numUpdatedRows) !== 1) return false;
      const job = await trx
        .selectFrom('app_jobs')
        .select('user_id')
        .where('id', '=', jobId)
        .executeTakeFirst();
      if (job) {
        await trx
          .updateTable('app_profiles')
          .set({ status: outcome.profile, error: outcome.error, updated_at: now })
          .where('user_id', '=', job.user_id)
          .execute();
      }
      return true;
    });
  }

  completeJob(jobId: string, lockedUntil: number, now: number): Promise<boolean> {
    return this.finish(jobId, lockedUntil, now, { job: 'done', profile: 'ready', error: null });
  }

  failJob(jobId: string, lockedUntil: number, error: string, now: number): Promise<boolean> {
    return this.finish(jobId, lockedUntil, now, { job: 'failed', profile: 'failed', error });
  }

  async retryJob(appId: string, jobId: string, now: number): Promise<boolean> {
    return this.db.transaction().execute(async (trx) => {
      const result = await trx
        .updateTable('app_jobs')
        .set({ status: 'pending', run_after: now, locked_until: null, updated_at: now })
        .where('id', '=', jobId)
        .where('app_id', '=', appId)
        .where('status', '=', 'failed')
        .executeTakeFirst();
      if (Number(result.numUpdatedRows) !== 1) return false;
      const job = await trx
        .selectFrom('app_jobs')
        .select('user_id')
        .where('id', '=', jobId)
        .executeTakeFirst();
      if (job) {
        await trx
          .updateTable('app_profiles')
          .set({ status: 'pending', error: null, updated_at: now })
          .where('user_id', '=', job.user_id)
          .execute();
      }
      return true;
    });
  }

  async findJob(appId: string, jobId: string): Promise<Job | null> {
    const row = await this.db
      .selectFrom('app_jobs')
      .selectAll()
      .where('app_id', '=', appId)
      .where('id', '=', jobId)
      .executeTakeFirst();
    return row ? toJob(row) : null;
  }

  async listJobs(
    appId: string,
    query: { status?: JobStatus; limit: number },
  ): Promise<Array<Job & { login: string }>> {
    let q = this.db
      .selectFrom('app_jobs')
      .innerJoin('app_profiles', 'app_profiles.user_id', 'app_jobs.user_id')
      .selectAll('app_jobs')
      .select('app_profiles.login')
      .where('app_jobs.app_id', '=', appId);
    if (query.status) q = q.where('app_jobs.status', '=', query.status);
    const rows = await q.orderBy('app_jobs.created_at').orderBy('app_jobs.id').limit(query.limit).execute();
    return rows.map((r) => ({ ...toJob(r), login: r.login }));
  }
}
