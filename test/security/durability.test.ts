import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { backends } from '../helpers/backends.js';
import { callRpc, runCli, startServerProcess } from '../helpers/process.js';
import { TEST_SECRET } from '../helpers/server.js';
import {
  acknowledged,
  appsLoad,
  feathersLoad,
  http,
  type LoadContext,
  spaLoad,
  untilEnough,
  verifyApps,
  verifyFeathers,
  verifySpa,
} from './durability-load.js';
import { integrityProblems } from './integrity.js';

const APP = 'durable/app';
const APP_LOGIN = ['durable-login', 'durable-login-password'] as const;
/** Acknowledgements of each kind of write the load makes before the kill. */
const ENOUGH = 3;

for (const backend of await backends()) {
  describe(`durability under SIGKILL (${backend.name})`, () => {
    test('every acknowledged write of every dialect survives a kill -9 mid-load; acknowledged sign-outs stay revoked', async (t) => {
      const db = await backend.create();
      const dir = mkdtempSync(join(tmpdir(), 'latchkey-kill-'));
      // The load sends X-Forwarded-For from 127.0.0.1 so per-address throttling is not its limit.
      const env = {
        DATABASE_URL: db.url,
        LATCHKEY_DATA_DIR: dir,
        LATCHKEY_SECRET: TEST_SECRET,
        LATCHKEY_TRUST_PROXY: '127.0.0.1',
        // Sign-ups are written on this tick after their answer (durability-load.ts counts on it).
        LATCHKEY_DEFERRED_WORK_INTERVAL_MS: '100',
        // This test is about durability, not overload: every sign-in waits for its hash
        // (shedding would refuse most of them on a busy machine, so the load would never
        // get to its sign-outs), and the hashes are not niced below the other work.
        LATCHKEY_HASH_MAX_QUEUE: '100000',
        LATCHKEY_HASH_MAX_WAIT_MS: '60000',
        LATCHKEY_HASH_NICE: '0',
      };
      try {
        assert.equal(
          runCli(
            [
              'user',
              'create',
              '--username',
              'root_admin',
              '--email',
              'admin@example.com',
              '--password',
              'admin-password-1',
              '--superuser',
            ],
            { env },
          ).code,
          0,
        );
        assert.equal(runCli(['app', 'create', APP], { env }).code, 0);
        assert.equal(
          runCli(
            [
              'user',
              'create',
              '--app',
              APP,
              '--username',
              APP_LOGIN[0],
              '--email',
              'durable@example.com',
              '--password',
              APP_LOGIN[1],
            ],
            { env },
          ).code,
          0,
        );
        let server = await startServerProcess(env);
        // The apps login signs in (200, not 409) once the server has provisioned its profile.
        const provisioned = Date.now() + 60_000;
        for (;;) {
          const res = await http(server.url, 'POST', `/api/v2/apps/${APP}/auth/login`, {
            json: { login: APP_LOGIN[0], password: APP_LOGIN[1] },
          });
          if (res.status === 200) break;
          assert.equal(res.status, 409, JSON.stringify(res.body));
          assert.ok(Date.now() < provisioned, 'the apps login was never provisioned');
          await new Promise((r) => setTimeout(r, 50));
        }
        const admin = (
          await callRpc(server.url, 'session.issueToken', {
            user: 'root_admin',
            password: 'admin-password-1',
          })
        )['token'] as string;
        assert.ok(admin);

        const createdIds: string[] = [];
        const liveTokens: string[] = [];
        const destroyedTokens: string[] = [];
        let stop = false;
        const worker = async (w: number) => {
          for (let i = 0; !stop && i < 10_000; i++) {
            try {
              const name = `w${w}_${i}`;
              const created = await callRpc(
                server.url,
                'user.create',
                {
                  username: name,
                  password: `password-${name}`,
                  emails: [{ address: `${name}@example.com`, isPrimary: true }],
                },
                admin,
              );
              if (created['ok'] !== true) continue;
              createdIds.push((created['user'] as { id: string }).id);
              const signedIn = await callRpc(server.url, 'session.issueToken', {
                user: name,
                password: `password-${name}`,
              });
              if (signedIn['ok'] !== true) continue;
              const refreshed = await callRpc(server.url, 'session.refreshToken', {
                token: signedIn['token'],
              });
              if (refreshed['ok'] !== true) continue;
              if (i % 2 === 0) {
                const destroyed = await callRpc(server.url, 'session.destroyToken', {
                  token: refreshed['token'],
                });
                if (destroyed['ok'] === true) destroyedTokens.push(refreshed['token'] as string);
              } else {
                liveTokens.push(refreshed['token'] as string);
              }
            } catch {
              return; // the server died under us: that is the point
            }
          }
        };
        const ctx: LoadContext = { url: server.url, stopped: () => stop, admin };
        const apps = acknowledged();
        const spa = acknowledged();
        const feathers = acknowledged();
        const signedUp: Array<[string, string]> = [];
        let settled = false;
        const workers = Promise.all([
          ...[0, 1].map(worker),
          appsLoad(ctx, APP, APP_LOGIN[0], APP_LOGIN[1], apps),
          spaLoad(ctx, 0, spa),
          spaLoad(ctx, 1, spa),
          feathersLoad(ctx, 0, feathers, signedUp),
          feathersLoad(ctx, 1, feathers, signedUp),
        ]).finally(() => {
          settled = true;
        });
        // The load runs until every kind of write has been acknowledged at least ENOUGH times
        // (however slow the machine), then the server is killed in the middle of it.
        const counts = () => ({
          'rpc users': createdIds.length,
          'rpc live': liveTokens.length,
          'rpc sign-outs': destroyedTokens.length,
          ...Object.fromEntries(
            Object.entries({ apps, spa, feathers }).flatMap(([name, out]) => [
              [`${name} created`, out.created.length],
              [`${name} live`, out.live.length],
              [`${name} sign-outs`, out.signedOut.length],
            ]),
          ),
          'feathers sign-ups': signedUp.length,
        });
        try {
          await untilEnough(
            () => Object.values(counts()).every((n) => n >= ENOUGH),
            () => JSON.stringify(counts()),
            { settled: () => settled },
          );
        } finally {
          server.child.kill('SIGKILL');
          stop = true;
          await workers;
          await server.exited;
        }
        t.diagnostic(
          `acknowledged: rpc ${createdIds.length} users, ${destroyedTokens.length} sign-outs; ${Object.entries(
            { apps, spa, feathers },
          )
            .map(
              ([n, o]) =>
                `${n} ${o.created.length} created, ${o.live.length} live, ${o.signedOut.length} signed out`,
            )
            .join('; ')}; feathers ${signedUp.length} sign-ups`,
        );

        const integrity = await integrityProblems(backend.name, db.url);
        assert.deepEqual(integrity.problems, [], 'the database is sound after the crash');
        assert.ok(integrity.checked > 5, `the integrity check looked at something (${integrity.checked})`);

        server = await startServerProcess(env);
        try {
          for (const id of createdIds) {
            const info = await callRpc(server.url, 'user.info', { id }, admin);
            assert.equal(info['ok'], true, `acknowledged user ${id} is missing after the crash`);
          }
          for (const token of destroyedTokens) {
            const info = await callRpc(server.url, 'user.info', {}, token);
            assert.equal(
              (info['error'] as { code: number }).code,
              10000,
              'an acknowledged sign-out was lost',
            );
          }
          for (const token of liveTokens.slice(0, 20)) {
            assert.equal((await callRpc(server.url, 'user.info', {}, token))['ok'], true);
          }
          await verifyApps(server.url, APP, apps);
          await verifySpa(server.url, spa);
          await verifyFeathers(server.url, feathers, signedUp);
        } finally {
          server.child.kill('SIGTERM');
          await server.exited;
        }
      } finally {
        await db.cleanup();
      }
    });
  });
}
