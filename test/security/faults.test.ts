import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { backends, PG_ADMIN_URL } from '../helpers/backends.js';
import { callRpc, runCli, startServerProcess } from '../helpers/process.js';
import { TEST_SECRET } from '../helpers/server.js';
import { startTcpProxy } from '../helpers/tcp-proxy.js';

const postgres = (await backends()).find((b) => b.name === 'postgres');

describe('PostgreSQL unreachable mid-run', { skip: postgres ? false : 'needs PostgreSQL' }, () => {
  test('answers 503 with Retry-After within a bounded time (never a 500 or a hang) and recovers by itself', async () => {
    const db = await postgres!.create();
    const pgPort = Number(new URL(PG_ADMIN_URL).port || 5432);
    const proxy = await startTcpProxy(pgPort, new URL(PG_ADMIN_URL).hostname);
    const url = new URL(db.url);
    url.host = `127.0.0.1:${proxy.port}`;
    const env = {
      DATABASE_URL: url.toString(),
      LATCHKEY_DATA_DIR: mkdtempSync(join(tmpdir(), 'latchkey-pgfault-')),
      LATCHKEY_SECRET: TEST_SECRET,
    };
    const server = await startServerProcess(env);
    try {
      // Straight to the database: spawnSync blocks this process, and with it the proxy.
      const created = runCli(
        [
          'user',
          'create',
          '--username',
          'marvin',
          '--email',
          'marvin@mars.org',
          '--password',
          'illudium-q36',
        ],
        {
          env: { ...env, DATABASE_URL: db.url },
        },
      );
      assert.equal(created.code, 0, created.stderr);
      const token = (
        await callRpc(server.url, 'session.issueToken', { user: 'marvin', password: 'illudium-q36' })
      )['token'] as string;
      assert.ok(token);

      await proxy.pause();
      for (const [method, body] of [
        ['session.issueToken', { user: 'marvin', password: 'illudium-q36' }],
        ['session.refreshToken', { token }],
        ['user.list', {}],
      ] as const) {
        const started = Date.now();
        const res = await fetch(`${server.url}/api/${method}`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
          body: JSON.stringify(body),
          signal: AbortSignal.timeout(15_000),
        });
        const elapsed = Date.now() - started;
        assert.equal(res.status, 503, `${method}: ${res.status} ${await res.clone().text()}`);
        assert.ok(Number(res.headers.get('retry-after')) >= 1, `${method}: Retry-After`);
        assert.deepEqual(((await res.json()) as { error: { code: number } }).error.code, 503);
        assert.ok(elapsed < 10_000, `${method} took ${elapsed} ms`);
      }
      const ready = await fetch(`${server.url}/readyz`);
      assert.equal(ready.status, 503);
      assert.equal(((await ready.json()) as { checks: { storage: string } }).checks.storage, 'unavailable');
      // The session was not dropped: no 10027/10029 was ever answered.

      await proxy.resume();
      const deadline = Date.now() + 15_000;
      let recovered = false;
      while (Date.now() < deadline && !recovered) {
        recovered = (await fetch(`${server.url}/readyz`)).status === 200;
        if (!recovered) await new Promise((r) => setTimeout(r, 200));
      }
      assert.ok(recovered, 'readiness did not recover');
      assert.equal(
        (await callRpc(server.url, 'session.refreshToken', { token }))['ok'],
        true,
        'the session survived the outage',
      );
      assert.ok(!/"statusCode":500|Internal Server Error/.test(server.output()), 'no 500 was answered');
      // The outage reached the operator: the storage layer's domain error is logged at error level.
      assert.match(server.output(), /"level":50[^\n]*"msg":"storage unavailable"/);
    } catch (err) {
      throw new Error(`${(err as Error).message}\n--- server output ---\n${server.output().slice(-3000)}`);
    } finally {
      server.child.kill('SIGTERM');
      await server.exited;
      await proxy.close();
      await db.cleanup();
    }
  });
});
