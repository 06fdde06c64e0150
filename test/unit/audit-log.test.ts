import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { AuditLog } from '../../src/audit/index.js';
import type { AuditRepository } from '../../src/audit/ports.js';
import { ManualClock } from '../../src/shared/clock.js';
import { T0, withStore } from '../conformance/support.js';
import { backends } from '../helpers/backends.js';

/** The real repository, with each insert held until `release` is called (a slow store). */
function heldInserts(repo: AuditRepository): {
  repo: AuditRepository;
  /** Lets the oldest `count` held inserts through (all of them by default). */
  release: (count?: number) => void;
  held: () => number;
} {
  const gates: Array<() => void> = [];
  return {
    repo: {
      insert: async (event) => {
        await new Promise<void>((resolve) => gates.push(resolve));
        await repo.insert(event);
      },
      list: (query) => repo.list(query),
      deleteBefore: (at) => repo.deleteBefore(at),
    },
    release: (count = gates.length) => {
      for (const open of gates.splice(0, count)) open();
    },
    held: () => gates.length,
  };
}

for (const backend of await backends()) {
  describe(`AuditLog on ${backend.name}`, () => {
    test('a listing includes the events this node recorded just before it, still being written', () =>
      withStore(backend, async ({ repos }) => {
        const slow = heldInserts(repos.audit);
        const log = new AuditLog(slow.repo, new ManualClock(T0), 86_400_000);
        void log.record('session.revoked', { userId: 'user-1', details: { reason: 'sign_out' } }, undefined);
        const listing = log.list({ limit: 10 });
        await new Promise((resolve) => setImmediate(resolve));
        assert.equal(slow.held(), 1, 'the insert is still held');
        slow.release();
        const events = await listing;
        assert.deepEqual(
          events.map((e) => [e.type, e.details['reason']]),
          [['session.revoked', 'sign_out']],
        );
      }));

    test('settled waits for every write, including those started while waiting', () =>
      withStore(backend, async ({ repos }) => {
        const slow = heldInserts(repos.audit);
        const log = new AuditLog(slow.repo, new ManualClock(T0), 86_400_000);
        void log.record('signin.failure', { userId: 'user-1' }, undefined);
        let done = false;
        const settled = log.settled().then(() => {
          done = true;
        });
        await new Promise((resolve) => setImmediate(resolve));
        void log.record('signin.success', { userId: 'user-1' }, undefined);
        slow.release(1);
        // Once the first event is stored, a settled() that only waited for it would be done.
        while ((await repos.audit.list({ limit: 10 })).length === 0)
          await new Promise((resolve) => setImmediate(resolve));
        for (let i = 0; i < 5; i++) await new Promise((resolve) => setImmediate(resolve));
        assert.equal(slow.held(), 1);
        assert.equal(done, false, 'the second write is still held');
        slow.release();
        await settled;
        assert.equal((await repos.audit.list({ limit: 10 })).length, 2);
      }));

    test('a write that fails is reported, and does not block listings or shutdown', () =>
      withStore(backend, async ({ repos }) => {
        const errors: unknown[] = [];
        const log = new AuditLog(
          {
            insert: () => Promise.reject(new Error('disk full')),
            list: (query) => repos.audit.list(query),
            deleteBefore: (at) => repos.audit.deleteBefore(at),
          },
          new ManualClock(T0),
          86_400_000,
        );
        log.onError = (err) => errors.push(err);
        void log.record('signin.failure', {}, undefined);
        assert.deepEqual(await log.list({ limit: 10 }), []);
        await log.settled();
        assert.equal(errors.length, 1);
      }));
  });
}
