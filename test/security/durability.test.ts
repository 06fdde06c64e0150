import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import SQLite from 'better-sqlite3';
import { sqlitePathFromUrl } from '../../src/storage/sql/database.js';
import { backends } from '../helpers/backends.js';
import { callRpc, runCli, startServerProcess } from '../helpers/process.js';
import { TEST_SECRET } from '../helpers/server.js';

for (const backend of await backends()) {
  describe(`durability under SIGKILL (${backend.name})`, () => {
    test('every acknowledged write survives a kill -9 mid-load; acknowledged sign-outs stay revoked', async () => {
      const db = await backend.create();
      const dir = mkdtempSync(join(tmpdir(), 'latchkey-kill-'));
      const env = { DATABASE_URL: db.url, LATCHKEY_DATA_DIR: dir, LATCHKEY_SECRET: TEST_SECRET };
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
        let server = await startServerProcess(env);
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
        const workers = [0, 1, 2, 3].map(worker);
        await new Promise((r) => setTimeout(r, 1500));
        server.child.kill('SIGKILL');
        stop = true;
        await Promise.all(workers);
        await server.exited;
        assert.ok(createdIds.length > 5, `the load did some work (${createdIds.length} users)`);
        assert.ok(destroyedTokens.length > 0);

        if (backend.name === 'sqlite') {
          const raw = new SQLite(sqlitePathFromUrl(db.url));
          assert.equal(raw.pragma('integrity_check', { simple: true }), 'ok');
          raw.close();
        }

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
