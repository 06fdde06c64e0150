import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { AuditEvent } from '../../src/audit/types.js';
import { newId } from '../../src/shared/ids.js';
import { isUniqueViolation } from '../../src/storage/sql/database.js';
import { backends } from '../helpers/backends.js';
import { T0, withStore } from './support.js';

function event(overrides: Partial<AuditEvent> = {}): AuditEvent {
  return {
    id: newId(),
    appId: 'app-1',
    userId: 'user-1',
    type: 'signin.failure',
    ip: '203.0.113.7',
    userAgent: 'test agent',
    requestId: 'req-1',
    dialect: 'rpc',
    details: { reason: 'wrong password' },
    at: T0,
    ...overrides,
  };
}

for (const backend of await backends()) {
  describe(`AuditRepository on ${backend.name}`, () => {
    test('an event comes back with every field intact, newest first', () =>
      withStore(backend, async ({ repos }) => {
        const older = event({ at: T0, dialect: null, ip: null, userAgent: null, requestId: null });
        const newer = event({ at: T0 + 1, type: 'signin.success', details: {} });
        await repos.audit.insert(older);
        await repos.audit.insert(newer);
        assert.deepEqual(await repos.audit.list({ limit: 10 }), [newer, older]);
      }));

    test('events recorded at once all land, each as it was', () =>
      withStore(backend, async ({ repos }) => {
        const events = Array.from({ length: 150 }, (_, i) =>
          event({ userId: `user-${i}`, at: T0 + i, details: { attempt: i } }),
        );
        await Promise.all(events.map((e) => repos.audit.insert(e)));
        assert.deepEqual(await repos.audit.list({ limit: 200 }), [...events].reverse());
      }));

    test('an event that cannot be written fails alone; the ones recorded with it land', () =>
      withStore(backend, async ({ repos }) => {
        const existing = event();
        await repos.audit.insert(existing);
        const others = Array.from({ length: 9 }, (_, i) => event({ at: T0 + 1 + i }));
        const duplicate = { ...event({ at: T0 + 100 }), id: existing.id };
        const outcomes = await Promise.allSettled([...others, duplicate].map((e) => repos.audit.insert(e)));
        const failed = outcomes.filter((o) => o.status === 'rejected');
        assert.equal(failed.length, 1);
        assert.ok(isUniqueViolation((failed[0] as PromiseRejectedResult).reason));
        assert.equal(outcomes.at(-1)!.status, 'rejected', 'the duplicate is the one refused');
        const listed = await repos.audit.list({ limit: 20 });
        assert.deepEqual(listed.map((e) => e.id).sort(), [existing, ...others].map((e) => e.id).sort());
      }));
  });
}
