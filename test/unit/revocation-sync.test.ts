import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { SessionRepository } from '../../src/session/ports.js';
import { MemoryRevocationList } from '../../src/session/revocation.js';
import { RevocationSync } from '../../src/session/revocation-sync.js';
import { ManualClock } from '../../src/shared/clock.js';

const HOUR = 3600_000;
type Row = { id: string; revokedAt: number };

/** A store whose answer to each look is given by the test, while the look is in flight. */
function heldStore() {
  const looks: Array<(rows: Row[]) => void> = [];
  const repo = {
    listRevokedSince: () => new Promise<Row[]>((resolve) => looks.push(resolve)),
  } as unknown as SessionRepository;
  return { repo, answer: (rows: Row[]) => looks.shift()!(rows) };
}

function setup() {
  const clock = new ManualClock(Date.UTC(2026, 0, 1));
  const list = new MemoryRevocationList(HOUR, () => clock.now());
  const store = heldStore();
  const sync = new RevocationSync(store.repo, list, clock);
  const tomorrow = clock.now() + 24 * HOUR;
  return { clock, list, store, sync, tomorrow };
}

test('a sign-out made while the store is read is not undone by that look', async () => {
  const { clock, list, store, sync, tomorrow } = setup();
  let look = sync.pollOnce();
  store.answer([{ id: 's1', revokedAt: tomorrow }]);
  await look;
  look = sync.pollOnce();
  // The user signs out on this node while the look is in flight; the read cannot see it.
  list.add('s1', clock.now());
  store.answer([{ id: 's1', revokedAt: tomorrow }]);
  await look;
  assert.equal(list.isRevoked('s1', clock.now()), true);
});

test('a scheduled revocation not yet in the store is kept for a while, then taken for cancelled', async () => {
  const { clock, list, store, sync, tomorrow } = setup();
  list.add('s2', tomorrow); // this node scheduled it; its write may not have committed yet
  let look = sync.pollOnce();
  store.answer([]);
  await look;
  assert.equal(list.isRevoked('s2', tomorrow), true, 'not taken for cancelled at once');
  // Still absent a few seconds later: it was cancelled elsewhere before any look found it.
  clock.advance(5000);
  look = sync.pollOnce();
  store.answer([]);
  await look;
  assert.equal(list.isRevoked('s2', tomorrow), false);
});

test("a scheduled revocation moved in the store takes the store's time", async () => {
  const { list, store, sync, tomorrow } = setup();
  let look = sync.pollOnce();
  store.answer([{ id: 's3', revokedAt: tomorrow }]);
  await look;
  look = sync.pollOnce();
  store.answer([{ id: 's3', revokedAt: tomorrow + HOUR }]);
  await look;
  assert.equal(list.isRevoked('s3', tomorrow + 1), false);
  assert.equal(list.isRevoked('s3', tomorrow + HOUR), true);
});
