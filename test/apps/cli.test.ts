import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { backends } from '../helpers/backends.js';
import { runCli } from '../helpers/process.js';
import { startTestServer, TEST_SECRET } from '../helpers/server.js';
import { apps } from './support.js';

describe('the latchkey CLI: apps', () => {
  const dir = mkdtempSync(join(tmpdir(), 'latchkey-cli-apps-'));
  const databaseUrl = `sqlite:${join(dir, 'db.sqlite')}`;
  const env = { DATABASE_URL: databaseUrl, LATCHKEY_DATA_DIR: dir, LATCHKEY_SECRET: TEST_SECRET };
  after(() => rmSync(dir, { recursive: true, force: true }));

  test('app create, list and remove; bad and duplicate names fail with one line and exit 1', () => {
    const created = runCli(['app', 'create', 'acme/portal'], { env });
    assert.equal(created.code, 0, created.stderr);
    assert.match(created.stdout, /^created app acme\/portal \([0-9a-f]{24}\)$/m);
    assert.equal(runCli(['app', 'create', 'acme/scratch'], { env }).code, 0);
    const duplicate = runCli(['app', 'create', 'acme/portal'], { env });
    assert.equal(duplicate.code, 1);
    assert.equal(duplicate.stderr, 'latchkey: app acme/portal already exists\n');
    const bad = runCli(['app', 'create', 'Acme/Portal'], { env });
    assert.equal(bad.code, 1);
    assert.equal(bad.stderr, 'latchkey: invalid app QName: Acme/Portal\n');
    const listed = runCli(['app', 'list'], { env });
    assert.equal(listed.code, 0, listed.stderr);
    assert.match(listed.stdout, /^acme\/portal\s+[0-9a-f]{24}\s/m);
    assert.match(listed.stdout, /^latchkey\/default\s+[0-9a-f]{24}\s.*default \(rpc\)$/m);
    const removed = runCli(['app', 'remove', 'acme/scratch'], { env });
    assert.equal(removed.code, 0, removed.stderr);
    assert.doesNotMatch(runCli(['app', 'list'], { env }).stdout, /acme\/scratch/);
    assert.equal(runCli(['app', 'remove', 'acme/scratch'], { env }).code, 1);
    assert.equal(runCli(['app', 'remove', 'latchkey/default'], { env }).code, 1);
  });

  test('user create --app makes a login of the app (reference login rules); a server provisions it; it signs in', async () => {
    const created = runCli(
      [
        'user',
        'create',
        '--app',
        'acme/portal',
        '--username',
        'ops@acme.com',
        '--email',
        'ops@acme.com',
        '--password',
        'ops-password-1',
      ],
      { env },
    );
    assert.equal(created.code, 0, created.stderr);
    assert.match(created.stdout, /^created user [0-9a-f]{24} in acme\/portal \(profile workspace queued\)$/m);
    // Apps logins may hold '@' and other characters rpc usernames may not, but no capitals.
    const upper = runCli(
      [
        'user',
        'create',
        '--app',
        'acme/portal',
        '--username',
        'Ops',
        '--email',
        'o@acme.com',
        '--password',
        'ops-password-1',
      ],
      { env },
    );
    assert.equal(upper.code, 1);
    assert.equal(upper.stderr, 'latchkey: incorrect login format: Ops\n');
    const unknown = runCli(
      [
        'user',
        'create',
        '--app',
        'acme/none',
        '--username',
        'x',
        '--email',
        'x@acme.com',
        '--password',
        'ops-password-1',
      ],
      { env },
    );
    assert.equal(unknown.stderr, 'latchkey: app acme/none does not exist\n');
    const superuser = runCli(
      [
        'user',
        'create',
        '--app',
        'acme/portal',
        '--username',
        'y',
        '--email',
        'y@acme.com',
        '--password',
        'ops-password-1',
        '--superuser',
      ],
      { env },
    );
    assert.equal(superuser.code, 1);
    // Without --app, users are still created in the default app with its own rules.
    const plain = runCli(
      ['user', 'create', '--username', 'coyote', '--email', 'c@acme.com', '--password', 'catch-the-b1rd'],
      {
        env,
      },
    );
    assert.equal(plain.code, 0, plain.stderr);
    assert.match(runCli(['user', 'list'], { env }).stdout, /coyote/);
    assert.doesNotMatch(runCli(['user', 'list'], { env }).stdout, /ops@acme\.com/);

    const jobs = runCli(['app', 'jobs', 'acme/portal'], { env });
    assert.match(jobs.stdout, /ops@acme\.com\s+pending/);

    const [backend] = await backends();
    const server = await startTestServer(backend!, { databaseUrl });
    try {
      // The server's worker picks the queued job up as it starts; this waits for that pass.
      await server.services.appsCore.worker.runDue();
      const res = await apps(server, 'acme/portal', '/auth/login', {
        json: { login: 'ops@acme.com', password: 'ops-password-1' },
      });
      assert.equal(res.status, 200);
    } finally {
      await server.close();
    }
    assert.match(runCli(['app', 'jobs', 'acme/portal'], { env }).stdout, /ops@acme\.com\s+done/);
  });
});
