import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { Job, Profile } from '../../src/apps/types.js';
import { newId } from '../../src/shared/ids.js';
import { backends } from '../helpers/backends.js';
import { createApp, type Fixture, newUser, T0, withStore } from './support.js';

function profile(appId: string, userId: string, overrides: Partial<Profile> = {}): Profile {
  return {
    userId,
    appId,
    login: `login-${userId}`,
    subjectKind: 1,
    wsid: null,
    status: 'pending',
    error: null,
    createdAt: T0,
    updatedAt: T0,
    ...overrides,
  };
}

function job(appId: string, userId: string, overrides: Partial<Job> = {}): Job {
  return {
    id: newId(),
    appId,
    userId,
    kind: 'provision-profile',
    status: 'pending',
    attempts: 0,
    runAfter: T0,
    lockedUntil: null,
    lastError: null,
    createdAt: T0,
    updatedAt: T0,
    ...overrides,
  };
}

async function login(f: Fixture, appId: string, overrides: Partial<Job> = {}) {
  const user = await f.repos.users.create(newUser(appId, { username: `u${newId()}` }), T0);
  const j = job(appId, user.id, overrides);
  assert.equal(await f.repos.appProfiles.createWithJob(profile(appId, user.id), j), true);
  return { user, job: j };
}

for (const backend of await backends()) {
  describe(`ProfileRepository on ${backend.name}`, () => {
    test('createWithJob stores both; a second profile for the user is refused and writes nothing', () =>
      withStore(backend, async (f) => {
        const app = await createApp(f.repos);
        const { user, job: j } = await login(f, app.id);
        assert.deepEqual(await f.repos.appProfiles.findProfile(app.id, user.id), profile(app.id, user.id));
        assert.deepEqual(await f.repos.appProfiles.findJob(app.id, j.id), j);
        const second = job(app.id, user.id);
        assert.equal(
          await f.repos.appProfiles.createWithJob(profile(app.id, user.id, { login: 'other' }), second),
          false,
        );
        assert.equal(await f.repos.appProfiles.findJob(app.id, second.id), null);
        assert.equal((await f.repos.appProfiles.findProfile(app.id, user.id))?.login, `login-${user.id}`);
        // Scoped by app: the same ids in another app are not found.
        const other = await createApp(f.repos);
        assert.equal(await f.repos.appProfiles.findProfile(other.id, user.id), null);
        assert.equal(await f.repos.appProfiles.findJob(other.id, j.id), null);
      }));

    test('nextWsidBase: a sequence per app from the first base, with no duplicates under concurrency', () =>
      withStore(
        backend,
        async (f) => {
          const a = await createApp(f.repos);
          const b = await createApp(f.repos);
          assert.equal(await f.repos.appProfiles.nextWsidBase(a.id, 131071), 131071);
          assert.equal(await f.repos.appProfiles.nextWsidBase(a.id, 131071), 131072);
          assert.equal(await f.repos.appProfiles.nextWsidBase(b.id, 131071), 131071);
          const parallel = await Promise.all(
            Array.from({ length: 20 }, () => f.repos.appProfiles.nextWsidBase(a.id, 131071)),
          );
          assert.equal(new Set(parallel).size, 20);
          assert.deepEqual(
            [...parallel].sort((x, y) => x - y),
            Array.from({ length: 20 }, (_, i) => 131073 + i),
          );
          // Large bases round-trip exactly (bigint on PostgreSQL).
          const c = await createApp(f.repos);
          assert.equal(await f.repos.appProfiles.nextWsidBase(c.id, 2 ** 47 - 2), 2 ** 47 - 2);
        },
        { poolSize: 5 },
      ));

    test('assignWsid is set-once: a second value is ignored and the first returned; unknown users give null', () =>
      withStore(backend, async (f) => {
        const app = await createApp(f.repos);
        const { user } = await login(f, app.id);
        const wsid = 2 ** 47 + 131071;
        assert.equal(await f.repos.appProfiles.assignWsid(user.id, wsid, T0 + 1), wsid);
        assert.equal(await f.repos.appProfiles.assignWsid(user.id, wsid + 5, T0 + 2), wsid);
        assert.equal((await f.repos.appProfiles.findProfile(app.id, user.id))?.wsid, wsid);
        assert.equal(await f.repos.appProfiles.assignWsid(newId(), wsid, T0), null);
      }));

    test('claimDueJobs: only due pending jobs and running ones whose lease ran out; each claimed once', () =>
      withStore(
        backend,
        async (f) => {
          const app = await createApp(f.repos);
          const due = await login(f, app.id);
          const later = await login(f, app.id, { runAfter: T0 + 60_000 });
          const claimed = await f.repos.appProfiles.claimDueJobs(T0, 60_000, 10);
          assert.deepEqual(
            claimed.map((j) => j.id),
            [due.job.id],
          );
          assert.equal(claimed[0]!.status, 'running');
          assert.equal(claimed[0]!.attempts, 1);
          assert.equal(claimed[0]!.lockedUntil, T0 + 60_000);
          // Held: not claimable again before the lease runs out.
          assert.deepEqual(await f.repos.appProfiles.claimDueJobs(T0 + 59_999, 60_000, 10), []);
          const takeover = await f.repos.appProfiles.claimDueJobs(T0 + 60_000, 60_000, 10);
          assert.deepEqual(takeover.map((j) => j.id).sort(), [due.job.id, later.job.id].sort());
          // Parallel claimers never share a job.
          const many = await Promise.all(Array.from({ length: 5 }, () => login(f, app.id)));
          const rounds = await Promise.all(
            Array.from({ length: 8 }, () => f.repos.appProfiles.claimDueJobs(T0 + 1, 60_000, 10)),
          );
          const ids = rounds.flat().map((j) => j.id);
          assert.equal(ids.length, new Set(ids).size);
          assert.deepEqual([...ids].sort(), many.map((m) => m.job.id).sort());
        },
        { poolSize: 5 },
      ));

    test('completeJob / failJob need the current lease, and move the profile along in the same transaction', () =>
      withStore(backend, async (f) => {
        const app = await createApp(f.repos);
        const ok = await login(f, app.id);
        const bad = await login(f, app.id);
        const [a, b] = [
          (await f.repos.appProfiles.claimDueJobs(T0, 60_000, 1))[0]!,
          (await f.repos.appProfiles.claimDueJobs(T0, 60_000, 1))[0]!,
        ];
        const okJob = a.id === ok.job.id ? a : b;
        const badJob = a.id === ok.job.id ? b : a;
        assert.equal(await f.repos.appProfiles.completeJob(okJob.id, okJob.lockedUntil! + 1, T0 + 1), false);
        assert.equal(await f.repos.appProfiles.completeJob(okJob.id, okJob.lockedUntil!, T0 + 1), true);
        assert.equal(
          await f.repos.appProfiles.completeJob(okJob.id, okJob.lockedUntil!, T0 + 2),
          false,
          'once',
        );
        assert.equal((await f.repos.appProfiles.findProfile(app.id, ok.user.id))?.status, 'ready');
        assert.equal((await f.repos.appProfiles.findJob(app.id, okJob.id))?.status, 'done');
        assert.equal(await f.repos.appProfiles.failJob(badJob.id, badJob.lockedUntil!, 'boom', T0 + 3), true);
        const failed = await f.repos.appProfiles.findProfile(app.id, bad.user.id);
        assert.equal(failed?.status, 'failed');
        assert.equal(failed?.error, 'boom');
        const failedJob = await f.repos.appProfiles.findJob(app.id, badJob.id);
        assert.equal(failedJob?.status, 'failed');
        assert.equal(failedJob?.lastError, 'boom');
        assert.equal(failedJob?.lockedUntil, null);
      }));

    test('retryJob: only a failed job of that app goes back to pending, with its profile', () =>
      withStore(backend, async (f) => {
        const app = await createApp(f.repos);
        const other = await createApp(f.repos);
        const { user, job: j } = await login(f, app.id);
        assert.equal(await f.repos.appProfiles.retryJob(app.id, j.id, T0), false, 'not failed yet');
        const claimed = (await f.repos.appProfiles.claimDueJobs(T0, 60_000, 1))[0]!;
        await f.repos.appProfiles.failJob(claimed.id, claimed.lockedUntil!, 'boom', T0 + 1);
        assert.equal(await f.repos.appProfiles.retryJob(other.id, j.id, T0 + 2), false, 'another app');
        assert.equal(await f.repos.appProfiles.retryJob(app.id, j.id, T0 + 2), true);
        assert.equal(await f.repos.appProfiles.retryJob(app.id, j.id, T0 + 3), false, 'once');
        const back = await f.repos.appProfiles.findJob(app.id, j.id);
        assert.equal(back?.status, 'pending');
        assert.equal(back?.runAfter, T0 + 2);
        const p = await f.repos.appProfiles.findProfile(app.id, user.id);
        assert.equal(p?.status, 'pending');
        assert.equal(p?.error, null);
        assert.deepEqual(
          (await f.repos.appProfiles.claimDueJobs(T0 + 2, 60_000, 1)).map((x) => x.id),
          [j.id],
        );
      }));

    test('listJobs: the app’s jobs with their login, filtered by status; deleting the user deletes them', () =>
      withStore(backend, async (f) => {
        const app = await createApp(f.repos);
        const one = await login(f, app.id, { createdAt: T0 });
        const two = await login(f, app.id, { createdAt: T0 + 1 });
        await login(f, (await createApp(f.repos)).id);
        const all = await f.repos.appProfiles.listJobs(app.id, { limit: 10 });
        assert.deepEqual(
          all.map((j) => [j.id, j.login]),
          [
            [one.job.id, `login-${one.user.id}`],
            [two.job.id, `login-${two.user.id}`],
          ],
        );
        assert.deepEqual(await f.repos.appProfiles.listJobs(app.id, { status: 'failed', limit: 10 }), []);
        await f.repos.users.delete(app.id, one.user.id);
        assert.deepEqual(
          (await f.repos.appProfiles.listJobs(app.id, { limit: 10 })).map((j) => j.id),
          [two.job.id],
        );
        assert.equal(await f.repos.appProfiles.findProfile(app.id, one.user.id), null);
      }));
  });

  describe(`TenantRepository on ${backend.name}`, () => {
    test('removeApp deletes every row of the app and nothing of other apps; the audit trail stays', () =>
      withStore(backend, async (f) => {
        const gone = await createApp(f.repos);
        const kept = await createApp(f.repos);
        for (const app of [gone, kept]) {
          const { user } = await login(f, app.id);
          await f.repos.appProfiles.nextWsidBase(app.id, 131071);
          await f.repos.appEmailCodes.create({
            id: newId(),
            appId: app.id,
            email: 'x@example.com',
            codeHash: 'h',
            attempts: 0,
            createdAt: T0,
            expiresAt: T0 + 1,
            consumedAt: null,
          });
          await f.repos.permissions.ensureSystemObjects(app.id, ['p.one'], T0);
          await f.repos.users.update(app.id, user.id, { fullName: 'x' }, T0);
        }
        assert.equal(await f.repos.appTenants.removeApp(gone.id), true);
        assert.equal(await f.repos.apps.findById(gone.id), null);
        assert.ok(await f.repos.apps.findById(kept.id));
        for (const table of [
          'users',
          'app_profiles',
          'app_jobs',
          'app_wsid_counters',
          'app_email_codes',
          'permissions',
          'roles',
        ] as const) {
          const count = async (appId: string) =>
            (await f.store.db.selectFrom(table).select('app_id').where('app_id', '=', appId).execute())
              .length;
          assert.equal(await count(gone.id), 0, `${table} of the removed app`);
          assert.ok((await count(kept.id)) > 0, `${table} of the other app`);
        }
        assert.equal(await f.repos.appTenants.removeApp(gone.id), false, 'already gone');
      }));
  });
}
