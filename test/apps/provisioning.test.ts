import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { App } from '../../src/identity/types.js';
import { ManualClock } from '../../src/shared/clock.js';
import { backends } from '../helpers/backends.js';
import { bearer, signIn as rpcSignIn } from '../helpers/rpc.js';
import { seedUser, startTestServer, type TestServer } from '../helpers/server.js';
import { apps, createApp, gate, readyLogin } from './support.js';

const FIRST = 2 ** 47 + 131071;

async function createLogin(server: TestServer, app: App, login: string, password: string) {
  return server.services.appsCore.logins.createLogin(app, {
    login,
    password,
    email: null,
    fullName: null,
    subjectKind: 1,
  });
}

async function profileOf(server: TestServer, userId: string) {
  return server.services.store.db
    .selectFrom('app_profiles')
    .selectAll()
    .where('user_id', '=', userId)
    .executeTakeFirstOrThrow();
}

for (const backend of await backends()) {
  describe(`apps dialect: profile provisioning (${backend.name})`, () => {
    let server: TestServer;
    let admin: Record<string, string>;
    before(async () => {
      server = await startTestServer(backend);
      const root = await seedUser(server, { superuser: true });
      admin = bearer(await rpcSignIn(server, root.username!, root.password));
    });
    after(async () => server.close());

    test('WSIDs come from a per-app sequence in the reference layout, as safe integers', async () => {
      const a = await createApp(server, 'seq/a');
      const b = await createApp(server, 'seq/b');
      const wsids: number[] = [];
      for (const [app, login] of [
        [a, 'one'],
        [a, 'two'],
        [b, 'one'],
        [a, 'three'],
      ] as const) {
        const user = await readyLogin(server, app, login, 'password-123');
        wsids.push(Number((await profileOf(server, user.id)).wsid));
      }
      assert.deepEqual(wsids, [FIRST, FIRST + 1, FIRST, FIRST + 2]);
      for (const w of wsids) {
        assert.ok(Number.isSafeInteger(w));
        assert.equal(Math.floor(w / 2 ** 47), 1, 'cluster 1');
      }
    });

    test('a failed provisioning is recorded and answered 500; the admin retries it; then 200', async () => {
      const app = await createApp(server, 'fail/app');
      server.services.appsCore.worker.provision = async () => {
        throw new Error('workspace quota exceeded');
      };
      const user = await createLogin(server, app, 'uma', 'uma-password-1');
      await server.services.appsCore.worker.runDue();
      const profile = await profileOf(server, user.id);
      assert.equal(profile.status, 'failed');
      assert.equal(profile.error, 'workspace quota exceeded');
      const res = await apps(server, 'fail/app', '/auth/login', {
        json: { login: 'uma', password: 'uma-password-1' },
      });
      assert.equal(res.status, 500);
      assert.deepEqual(res.body, {
        status: 500,
        message: 'the login profile is created with an error: workspace quota exceeded',
      });
      // The password still comes first.
      assert.equal(
        (
          await apps(server, 'fail/app', '/auth/login', {
            json: { login: 'uma', password: 'wrong-password' },
          })
        ).status,
        401,
      );

      const listed = await server.inject({
        method: 'GET',
        url: '/admin/apps/fail/app/jobs?status=failed',
        headers: admin,
      });
      assert.equal(listed.statusCode, 200);
      const jobs = (
        listed.json() as { jobs: Array<{ id: string; login: string; lastError: string; attempts: number }> }
      ).jobs;
      assert.equal(jobs.length, 1);
      assert.equal(jobs[0]!.login, 'uma');
      assert.equal(jobs[0]!.lastError, 'workspace quota exceeded');
      assert.equal(jobs[0]!.attempts, 1);

      server.services.appsCore.worker.provision = async () => {};
      const retried = await server.inject({
        method: 'POST',
        url: `/admin/apps/fail/app/jobs/${jobs[0]!.id}/retry`,
        headers: admin,
      });
      assert.equal(retried.statusCode, 200, retried.body);
      assert.equal((retried.json() as { job: { status: string } }).job.status, 'pending');
      await server.services.appsCore.worker.runDue();
      const ok = await apps(server, 'fail/app', '/auth/login', {
        json: { login: 'uma', password: 'uma-password-1' },
      });
      assert.equal(ok.status, 200);
      // A done job cannot be retried; an unknown one does not exist.
      const again = await server.inject({
        method: 'POST',
        url: `/admin/apps/fail/app/jobs/${jobs[0]!.id}/retry`,
        headers: admin,
      });
      assert.equal(again.statusCode, 409);
      const unknown = await server.inject({
        method: 'POST',
        url: `/admin/apps/fail/app/jobs/${'0'.repeat(24)}/retry`,
        headers: admin,
      });
      assert.equal(unknown.statusCode, 404);
    });
  });

  describe(`apps dialect: provisioning survives a restart (${backend.name})`, () => {
    test('a job never started and a job stopped mid-way both complete after the services start again on the same database', async () => {
      const db = await backend.create();
      const clock = new ManualClock(Date.UTC(2026, 2, 1));
      try {
        const first = await startTestServer(backend, { databaseUrl: db.url, clock });
        const app = await createApp(first, 'restart/app');
        const started = gate();
        const never = gate();
        first.services.appsCore.worker.provision = async () => {
          started.resolve();
          await never.promise;
        };
        const midway = await createLogin(first, app, 'midway', 'midway-password-1');
        await started.promise;
        // The worker is busy with `midway`: this one's job is queued and not yet claimed.
        const queued = await createLogin(first, app, 'queued', 'queued-password-1');
        const allocated = (await profileOf(first, midway.id)).wsid;
        assert.equal(allocated, FIRST, 'midway had its WSID allocated before stopping');
        for (const login of ['midway', 'queued']) {
          const res = await apps(first, 'restart/app', '/auth/login', {
            json: { login, password: `${login}-password-1` },
          });
          assert.equal(res.status, 409, login);
        }
        await first.close();
        never.resolve();

        const second = await startTestServer(backend, { databaseUrl: db.url, clock });
        try {
          await second.services.appsCore.worker.runDue();
          const queuedLogin = await apps(second, 'restart/app', '/auth/login', {
            json: { login: 'queued', password: 'queued-password-1' },
          });
          assert.equal(queuedLogin.status, 200, 'the job that never started ran at once');
          assert.equal(queuedLogin.body['profileWSID'], FIRST + 1);
          // The job that was running when the first process stopped waits for its lease to run out...
          const stillHeld = await apps(second, 'restart/app', '/auth/login', {
            json: { login: 'midway', password: 'midway-password-1' },
          });
          assert.equal(stillHeld.status, 409);
          clock.advance(61_000);
          await second.services.appsCore.worker.runDue();
          const midwayLogin = await apps(second, 'restart/app', '/auth/login', {
            json: { login: 'midway', password: 'midway-password-1' },
          });
          assert.equal(midwayLogin.status, 200, 'then it is taken over and finished');
          assert.equal(midwayLogin.body['profileWSID'], FIRST, 'with the WSID allocated before the restart');
          const job = await second.services.store.db
            .selectFrom('app_jobs')
            .selectAll()
            .where('user_id', '=', midway.id)
            .executeTakeFirstOrThrow();
          assert.equal(job.status, 'done');
          assert.equal(job.attempts, 2);
          assert.equal(queued.appId, app.id);
        } finally {
          await second.close();
        }
      } finally {
        await db.cleanup();
      }
    });
  });
}
