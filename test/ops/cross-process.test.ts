import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { backends } from '../helpers/backends.js';
import { callRpc, runCli, startServerProcess } from '../helpers/process.js';
import { TEST_SECRET } from '../helpers/server.js';

for (const backend of await backends()) {
  describe(`changes made by another process reach a running server (${backend.name})`, () => {
    test('a user deactivated with the CLI is refused by the running server (its database poll carries it)', async () => {
      const db = await backend.create();
      const dir = mkdtempSync(join(tmpdir(), 'latchkey-xproc-'));
      const env = { DATABASE_URL: db.url, LATCHKEY_DATA_DIR: dir, LATCHKEY_SECRET: TEST_SECRET };
      const server = await startServerProcess(env);
      try {
        assert.equal(
          runCli(
            [
              'user',
              'create',
              '--username',
              'roadrunner',
              '--email',
              'rr@acme.com',
              '--password',
              'meep-meep-meep',
            ],
            { env },
          ).code,
          0,
        );
        const token = (
          await callRpc(server.url, 'session.issueToken', { user: 'roadrunner', password: 'meep-meep-meep' })
        )['token'] as string;
        assert.equal((await callRpc(server.url, 'user.info', {}, token))['ok'], true);
        const deactivated = runCli(['user', 'deactivate', 'roadrunner'], { env });
        assert.equal(deactivated.code, 0, deactivated.stderr);
        const started = Date.now();
        let refused = false;
        // The node polls the database each second; the deadline only catches a revocation that never lands.
        while (Date.now() - started < 15_000) {
          if (
            ((await callRpc(server.url, 'user.info', {}, token))['error'] as { code?: number } | undefined)
              ?.code === 10000
          ) {
            refused = true;
            break;
          }
          await new Promise((r) => setTimeout(r, 50));
        }
        assert.ok(refused, 'the token still worked 15 s after the CLI deactivated its user');
      } finally {
        server.child.kill('SIGTERM');
        await server.exited;
        await db.cleanup();
      }
    });
  });
}
