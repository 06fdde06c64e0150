import assert from 'node:assert/strict';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { sql } from 'kysely';
import { loadConfig } from '../../src/config/load.js';
import { migrateToLatest, openStore } from '../../src/storage/sql/database.js';

const mode = (path: string) => statSync(path).mode & 0o777;

describe('the data directory, the SQLite files and the master secret are private', () => {
  let root: string;
  let umask: number;
  before(() => {
    root = mkdtempSync(join(tmpdir(), 'latchkey-modes-'));
    // The usual system umask: without the fix, files come out 0644 and directories 0755.
    umask = process.umask(0o022);
  });
  after(() => {
    process.umask(umask);
    rmSync(root, { recursive: true, force: true });
  });

  test('a fresh data directory is 0700, the database and its -wal/-shm 0600, the secret 0600', async () => {
    const dataDir = join(root, 'fresh', 'data');
    const warnings: string[] = [];
    const config = loadConfig({ env: { LATCHKEY_DATA_DIR: dataDir }, warn: (m) => warnings.push(m) });
    const store = openStore(config.databaseUrl, { warn: (m) => warnings.push(m) });
    try {
      await migrateToLatest(store.db);
      await sql`select 1`.execute(store.db);
      const db = join(dataDir, 'latchkey.db');
      assert.equal(mode(dataDir), 0o700);
      assert.equal(mode(join(dataDir, 'secret')), 0o600);
      assert.equal(mode(db), 0o600);
      assert.equal(mode(`${db}-wal`), 0o600);
      assert.equal(mode(`${db}-shm`), 0o600);
    } finally {
      await store.close();
    }
    // The only warning is the generated development secret's.
    assert.deepEqual(
      warnings.filter((w) => !w.includes('LATCHKEY_SECRET is not set')),
      [],
    );
  });

  test('looser modes found at start-up draw a warning naming each path', async () => {
    const dataDir = join(root, 'shared');
    mkdirSync(dataDir, { mode: 0o755 });
    chmodSync(dataDir, 0o755);
    const db = join(dataDir, 'latchkey.db');
    writeFileSync(join(dataDir, 'secret'), `${'s'.repeat(48)}\n`, { mode: 0o644 });
    chmodSync(join(dataDir, 'secret'), 0o644);
    // A database made by an earlier version, with SQLite's default 0644.
    const first = openStore(`sqlite:${db}`, { warn: () => {} });
    await migrateToLatest(first.db);
    await first.close();
    chmodSync(db, 0o644);

    const warnings: string[] = [];
    const config = loadConfig({ env: { LATCHKEY_DATA_DIR: dataDir }, warn: (m) => warnings.push(m) });
    const store = openStore(config.databaseUrl, { warn: (m) => warnings.push(m) });
    await store.close();
    for (const path of [dataDir, join(dataDir, 'secret'), db])
      assert.ok(
        warnings.some((w) => w.startsWith(`${path} has mode`)),
        `no warning for ${path}: ${JSON.stringify(warnings)}`,
      );
    // Warned, not changed: the operator decides.
    assert.equal(mode(db), 0o644);
  });
});
