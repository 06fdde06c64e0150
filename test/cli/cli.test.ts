import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { runCli } from '../helpers/process.js';
import { TEST_SECRET } from '../helpers/server.js';

describe('the latchkey CLI', () => {
  const dir = mkdtempSync(join(tmpdir(), 'latchkey-cli-'));
  const env = {
    DATABASE_URL: `sqlite:${join(dir, 'db.sqlite')}`,
    LATCHKEY_DATA_DIR: dir,
    LATCHKEY_SECRET: TEST_SECRET,
  };

  test('migrate applies the migrations once', () => {
    const first = runCli(['migrate'], { env });
    assert.equal(first.code, 0, first.stderr);
    assert.match(first.stdout, /applied: 001_initial/);
    const second = runCli(['migrate'], { env });
    assert.equal(second.code, 0);
    assert.match(second.stdout, /up to date/);
  });

  test('user create, list and deactivate', () => {
    const created = runCli(
      [
        'user',
        'create',
        '--username',
        'coyote',
        '--email',
        'coyote@acme.com',
        '--password',
        'catch-the-b1rd$',
        '--full-name',
        'Wile E.',
        '--superuser',
      ],
      { env },
    );
    assert.equal(created.code, 0, created.stderr);
    assert.match(created.stdout, /^created user [0-9a-f]{24} \(superuser\)$/m);
    const listed = runCli(['user', 'list'], { env });
    assert.equal(listed.code, 0);
    assert.match(listed.stdout, /coyote\s+coyote@acme\.com/);
    const deactivated = runCli(['user', 'deactivate', 'coyote@acme.com'], { env });
    assert.equal(deactivated.code, 0, deactivated.stderr);
    assert.match(runCli(['user', 'list'], { env }).stdout, /coyote.*\d{4}-\d\d-\d\dT[^-]*Z\s*$/m);
    assert.equal(runCli(['user', 'activate', 'coyote'], { env }).code, 0);
  });

  test('keys list and rotate', () => {
    const before = runCli(['keys', 'list'], { env });
    assert.equal(before.code, 0, before.stderr);
    assert.equal(before.stdout.match(/signing/g)?.length, 1);
    const rotated = runCli(['keys', 'rotate'], { env });
    assert.equal(rotated.code, 0, rotated.stderr);
    const kid = /new signing key (\S+)/.exec(rotated.stdout)?.[1];
    assert.ok(kid);
    const after = runCli(['keys', 'list'], { env });
    assert.match(after.stdout, new RegExp(`${kid.replace(/[-_]/g, '.')}\\s+EdDSA\\s+signing`));
    assert.equal(after.stdout.match(/verifying/g)?.length, 1);
  });

  test('errors print one clear line and exit non-zero', () => {
    const cases: Array<[string[], Record<string, string>, RegExp]> = [
      [
        [
          'user',
          'create',
          '--username',
          'coyote',
          '--email',
          'other@acme.com',
          '--password',
          'a-fresh-passphrase',
        ],
        env,
        /Username already in use/,
      ],
      [
        ['user', 'create', '--username', 'shorty', '--email', 's@acme.com', '--password', 'short'],
        env,
        /Password must be between 8 and 1024/,
      ],
      [['user', 'deactivate', 'nobody'], env, /no user 'nobody'/],
      [['user', 'list'], { ...env, PORT: 'x' }, /configuration: port \(PORT\): must be an integer/],
      [['user', 'list'], { ...env, DATABASE_URL: 'mysql://nope' }, /databaseUrl \(DATABASE_URL\)/],
    ];
    for (const [args, caseEnv, message] of cases) {
      const result = runCli(args, { env: caseEnv });
      assert.notEqual(result.code, 0, `${args.join(' ')} should fail`);
      assert.match(result.stderr, message);
      assert.equal(result.stderr.trim().split('\n').length, 1, `one line, got: ${result.stderr}`);
    }
    const missing = runCli(['user', 'create', '--username', 'x'], { env });
    assert.notEqual(missing.code, 0);
    assert.match(missing.stderr, /--email is required/);
  });

  test('secrets reseal: a new master secret with the old one as fallback, then without it', () => {
    const own = mkdtempSync(join(tmpdir(), 'latchkey-cli-reseal-'));
    const before = {
      DATABASE_URL: `sqlite:${join(own, 'db.sqlite')}`,
      LATCHKEY_DATA_DIR: own,
      LATCHKEY_SECRET: TEST_SECRET,
    };
    assert.equal(runCli(['keys', 'list'], { env: before }).code, 0, 'creates the first signing key');
    const next = 'the-next-master-secret-for-the-cli-test-0123456789';
    const alone = runCli(['keys', 'list'], { env: { ...before, LATCHKEY_SECRET: next } });
    assert.notEqual(alone.code, 0);
    assert.match(
      alone.stderr,
      /signing key \S+ does not open under LATCHKEY_SECRET or LATCHKEY_SECRET_FALLBACKS/,
    );
    assert.equal(alone.stderr.trim().split('\n').length, 1, `one line, got: ${alone.stderr}`);

    const rotating = { ...before, LATCHKEY_SECRET: next, LATCHKEY_SECRET_FALLBACKS: TEST_SECRET };
    const dryRun = runCli(['secrets', 'reseal', '--dry-run'], { env: rotating });
    assert.equal(dryRun.code, 0, dryRun.stderr);
    assert.match(dryRun.stdout, /^signing_keys\.private_sealed\s+1\s+0\s+1\s+0\s+0$/m);
    assert.match(
      dryRun.stdout,
      /1 value\(s\) are still sealed under a fallback secret: run without --dry-run/,
    );
    const resealed = runCli(['secrets', 'reseal'], { env: rotating });
    assert.equal(resealed.code, 0, resealed.stderr);
    assert.match(resealed.stdout, /Re-sealed 1 value\(s\)/);
    const check = runCli(['secrets', 'reseal', '--dry-run'], { env: { ...before, LATCHKEY_SECRET: next } });
    assert.equal(check.code, 0, check.stderr);
    assert.match(check.stdout, /^signing_keys\.private_sealed\s+1\s+1\s+0\s+0\s+0$/m);
    assert.match(check.stdout, /the fallbacks can be removed/);
  });
});
