import assert from 'node:assert/strict';
import { existsSync, mkdtempSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { freePort, runCli } from '../helpers/process.js';
import { TEST_SECRET } from '../helpers/server.js';

/** One line on stderr, `latchkey: …`, exit 1. */
function failsWith(result: { code: number | null; stderr: string }, message: RegExp): void {
  assert.equal(result.code, 1, result.stderr);
  assert.match(result.stderr, message);
  assert.equal(result.stderr.trim().split('\n').length, 1, `one line, got: ${result.stderr}`);
}

describe('start-up errors name the setting to change', () => {
  const dir = mkdtempSync(join(tmpdir(), 'latchkey-cli-cause-'));
  const base = { LATCHKEY_DATA_DIR: dir, LATCHKEY_SECRET: TEST_SECRET };

  test('an unreachable database names DATABASE_URL, without its password', () => {
    const url = 'postgres://postgres:hunter2-secret@127.0.0.1:1/latchkey';
    for (const command of [['user', 'list'], ['migrate']]) {
      const result = runCli(command, { env: { ...base, DATABASE_URL: url } });
      failsWith(
        result,
        /^latchkey: DATABASE_URL: cannot reach the database at postgres:\/\/postgres:\*\*\*@127\.0\.0\.1:1\/latchkey: .*ECONNREFUSED/,
      );
      assert.doesNotMatch(result.stderr, /hunter2/);
    }
  });

  test('a SQLite file in a directory that does not exist is an error, not a new directory', () => {
    const missing = join(dir, 'no-such-dir', 'latchkey.db');
    const result = runCli(['user', 'list'], { env: { ...base, DATABASE_URL: `sqlite:${missing}` } });
    failsWith(
      result,
      /^latchkey: DATABASE_URL: the directory of the SQLite file .*no-such-dir.* does not exist/,
    );
    assert.equal(existsSync(join(dir, 'no-such-dir')), false);
    // The data directory itself is created: that is where the default store lives.
    const fresh = join(dir, 'fresh-data');
    const created = runCli(['user', 'list'], {
      env: { LATCHKEY_DATA_DIR: fresh, LATCHKEY_SECRET: TEST_SECRET },
    });
    assert.equal(created.code, 0, created.stderr);
    assert.ok(existsSync(join(fresh, 'latchkey.db')));
  });

  test('an address that cannot be bound names HOST, a port in use names PORT', async () => {
    const env = { ...base, DATABASE_URL: `sqlite:${join(dir, 'serve.db')}`, LOG_LEVEL: 'silent' };
    // 192.0.2.1 (TEST-NET-1, RFC 5737) is never an address of this machine.
    const foreign = runCli(['serve'], { env: { ...env, HOST: '192.0.2.1', PORT: String(await freePort()) } });
    failsWith(
      foreign,
      /^latchkey: cannot listen on 192\.0\.2\.1:\d+ \(HOST=192\.0\.2\.1, PORT=\d+\): HOST is not an address of this machine/,
    );

    const blocker = createServer();
    const port = await freePort();
    await new Promise<void>((resolve) => blocker.listen(port, '127.0.0.1', resolve));
    try {
      const taken = runCli(['serve'], { env: { ...env, HOST: '127.0.0.1', PORT: String(port) } });
      failsWith(taken, /^latchkey: cannot listen on 127\.0\.0\.1:\d+ .*the port is already in use.*PORT/);
    } finally {
      await new Promise((resolve) => blocker.close(resolve));
    }
  });
});
