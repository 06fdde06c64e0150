import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { MemoryRevocationList } from '../../src/session/revocation.js';
import { type SessionEvent, SessionService } from '../../src/session/service.js';
import { ManualClock } from '../../src/shared/clock.js';
import { Sealer } from '../../src/shared/seal.js';
import { createApp, newUser, T0, withStore } from '../conformance/support.js';
import { backends } from '../helpers/backends.js';

const [backend] = await backends();

describe('SessionService.start', () => {
  test('a session of a user whose deactivation is scheduled ends then, recorded without a request context', () =>
    withStore(backend!, async (f) => {
      const clock = new ManualClock(T0);
      const app = await createApp(f.repos);
      const user = await f.repos.users.create(newUser(app.id, { username: 'dora' }), T0);
      const sessions = new SessionService(
        f.repos.sessions,
        new MemoryRevocationList(3600_000, () => clock.now()),
        new Sealer('x'.repeat(48), 'session-successors'),
        clock,
        { sessionTtlMs: 3600_000, refreshGraceMs: 30_000 },
      );
      const events: Array<{ event: SessionEvent; context: unknown }> = [];
      sessions.onEvent = (event, context) => events.push({ event, context });
      const start = (userDeactivatesAt: number | null) =>
        sessions.start(
          {
            appId: app.id,
            userId: user.id,
            kind: 'rpc',
            client: { ip: null, userAgent: null },
            userDeactivatesAt,
          },
          async (id) => ({ value: id, secretHash: null }),
        );
      const ending = await start(T0 + 120_000);
      const lasting = await start(null);
      const stored = await f.repos.sessions.findSession(ending.session.id);
      assert.equal(stored?.revokedAt, T0 + 120_000);
      assert.equal(stored?.revokeReason, 'user_deactivated');
      assert.equal((await f.repos.sessions.findSession(lasting.session.id))?.revokedAt, null);
      assert.deepEqual(
        events.map(({ event, context }) => [event.type, event.session.id, context]),
        [['session.revoked', ending.session.id, undefined]],
      );
      clock.advance(119_999);
      assert.equal(sessions.isRevoked(ending.session.id), false);
      clock.advance(1);
      assert.equal(sessions.isRevoked(ending.session.id), true);
      assert.equal(sessions.isRevoked(lasting.session.id), false);
    }));
});
