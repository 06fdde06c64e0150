import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { mainThreadProfile } from '../../bench/profile-summary.js';

test('the bench summarises the event loop’s profile, not a hashing worker’s', () => {
  const dir = mkdtempSync(join(tmpdir(), 'latchkey-profiles-'));
  try {
    // As Node names them: CPU.<date>.<time>.<pid>.<thread id>.<sequence>.cpuprofile.
    for (const name of [
      'CPU.20261205.021122.32399.1.002.cpuprofile',
      'CPU.20261205.021122.32399.0.001.cpuprofile',
      'CPU.20261205.021153.32399.10.003.cpuprofile',
    ])
      writeFileSync(join(dir, name), '{}');
    assert.equal(mainThreadProfile(dir), join(dir, 'CPU.20261205.021122.32399.0.001.cpuprofile'));
    rmSync(join(dir, 'CPU.20261205.021122.32399.0.001.cpuprofile'));
    assert.throws(() => mainThreadProfile(dir), /no main-thread profile/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
