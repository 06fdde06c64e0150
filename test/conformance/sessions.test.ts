import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { RotationRequest } from '../../src/session/ports.js';
import type { Session } from '../../src/session/types.js';
import { newId } from '../../src/shared/ids.js';
import { backends } from '../helpers/backends.js';
import {
  createApp,
  type Fixture,
  newCredential,
  newSession,
  newUser,
  rejection,
  T0,
  withStore,
} from './support.js';

const HOUR = 3600_000;

async function seedUser(f: Fixture, username = 'alice') {
  const app = await createApp(f.repos);
  const user = await f.repos.users.create(newUser(app.id, { username }), T0);
  return { app, user };
}

async function credentialRows(f: Fixture, sessionId: string) {
  return f.store.db
    .selectFrom('session_credentials')
    .selectAll()
    .where('session_id', '=', sessionId)
    .execute();
}

function rotation(credentialId: string, sessionId: string, now = T0 + 1000): RotationRequest {
  const successor = newCredential(sessionId, { createdAt: now, secretHash: newId() });
  return {
    credentialId,
    successor,
    successorSealed: `sealed:${successor.id}`,
    graceUntil: now + 30_000,
    now,
  };
}

for (const backend of await backends()) {
  describe(`SessionRepository on ${backend.name}`, () => {
    test('create then findSession and findCredential return what was stored, data JSON included', () =>
      withStore(backend, async (f) => {
        const { app, user } = await seedUser(f);
        const { session, credential } = newSession(app.id, user.id, {
          kind: 'spa',
          clientIp: '2001:db8::1',
          userAgent: 'Mozilla/5.0 (X11; Linux x86_64) "quoted" ✓',
          data: {
            projection: { roles: ['admin', 'user'], nested: { n: 1.5, t: true, f: false, z: null } },
            unicode: 'grüße 🔑',
            empty: {},
            list: [],
          },
        });
        credential.secretHash = 'ab'.repeat(32);
        await f.repos.sessions.create(session, credential);
        assert.deepEqual(await f.repos.sessions.findSession(session.id), session);
        assert.deepEqual(await f.repos.sessions.findCredential(credential.id), credential);
        assert.equal(await f.repos.sessions.findSession(newId()), null);
        assert.equal(await f.repos.sessions.findCredential(newId()), null);
        assert.equal(await f.repos.sessions.findSession(credential.id), null, 'ids do not cross tables');
        assert.deepEqual(await f.repos.sessions.findCredentialWithSession(credential.id), {
          credential,
          session,
        });
        assert.equal(await f.repos.sessions.findCredentialWithSession(newId()), null);
        assert.equal(await f.repos.sessions.findCredentialWithSession(session.id), null);
      }));

    test('a stored credential may already be rotated, and every field round-trips', () =>
      withStore(backend, async (f) => {
        const { app, user } = await seedUser(f);
        const { session } = newSession(app.id, user.id, {
          revokedAt: T0 + HOUR / 2,
          revokeReason: 'scheduled',
        });
        const credential = newCredential(session.id, {
          rotatedAt: T0 + 1,
          successorId: newId(),
          successorSealed: 'sealed',
          graceUntil: T0 + 2,
        });
        await f.repos.sessions.create(session, credential);
        assert.deepEqual(await f.repos.sessions.findCredentialWithSession(credential.id), {
          credential,
          session,
        });
        assert.deepEqual(await f.repos.sessions.findSession(session.id), session);
        assert.deepEqual(await f.repos.sessions.findCredential(credential.id), credential);
      }));

    test('create is atomic: a failing credential insert leaves no session behind', () =>
      withStore(backend, async (f) => {
        const { app, user } = await seedUser(f);
        const first = newSession(app.id, user.id);
        await f.repos.sessions.create(first.session, first.credential);
        const second = newSession(app.id, user.id);
        // the credential id collides with the first session's credential
        await rejection(
          f.repos.sessions.create(second.session, { ...second.credential, id: first.credential.id }),
        );
        assert.equal(await f.repos.sessions.findSession(second.session.id), null);
        assert.deepEqual(await f.repos.sessions.findCredential(first.credential.id), first.credential);
      }));

    test('rotate marks the credential rotated and inserts its successor; a second rotation loses', () =>
      withStore(backend, async (f) => {
        const { app, user } = await seedUser(f);
        const { session, credential } = newSession(app.id, user.id);
        await f.repos.sessions.create(session, credential);
        const request = rotation(credential.id, session.id);
        assert.equal(await f.repos.sessions.rotate(request), true);
        assert.deepEqual(await f.repos.sessions.findCredential(credential.id), {
          ...credential,
          rotatedAt: request.now,
          successorId: request.successor.id,
          successorSealed: request.successorSealed,
          graceUntil: request.graceUntil,
        });
        assert.deepEqual(await f.repos.sessions.findCredential(request.successor.id), request.successor);

        const late = rotation(credential.id, session.id, T0 + 2000);
        assert.equal(await f.repos.sessions.rotate(late), false);
        assert.equal(
          await f.repos.sessions.findCredential(late.successor.id),
          null,
          'the loser inserts nothing',
        );
        assert.equal(
          (await f.repos.sessions.findCredential(credential.id))?.successorId,
          request.successor.id,
        );

        // the successor rotates in turn, forming a chain
        const next = rotation(request.successor.id, session.id, T0 + 3000);
        assert.equal(await f.repos.sessions.rotate(next), true);
        assert.equal((await credentialRows(f, session.id)).length, 3);
      }));

    test('rotate with liveSessionId goes through only while that session is live and owns the credential', () =>
      withStore(backend, async (f) => {
        const { app, user } = await seedUser(f);
        const live = (overrides: Partial<Session> = {}) => newSession(app.id, user.id, overrides);
        const cases = [
          { name: 'live', made: live(), won: true },
          { name: 'revocation scheduled later', made: live({ revokedAt: T0 + HOUR }), won: true },
          { name: 'revoked', made: live({ revokedAt: T0 + 500, revokeReason: 'sign_out' }), won: false },
          { name: 'revoked at this instant', made: live({ revokedAt: T0 + 1000 }), won: false },
          { name: 'expired', made: live({ expiresAt: T0 + 1000 }), won: false },
        ];
        for (const { name, made, won } of cases) {
          await f.repos.sessions.create(made.session, made.credential);
          const request = {
            ...rotation(made.credential.id, made.session.id),
            liveSessionId: made.session.id,
          };
          assert.equal(await f.repos.sessions.rotate(request), won, name);
          const stored = await f.repos.sessions.findCredential(made.credential.id);
          assert.equal(stored?.rotatedAt, won ? request.now : null, `${name}: rotated_at`);
          assert.equal(
            (await f.repos.sessions.findCredential(request.successor.id)) !== null,
            won,
            `${name}: successor inserted`,
          );
        }
        // The credential of one session named with another (live) session: refused.
        const mine = live();
        const other = live();
        await f.repos.sessions.create(mine.session, mine.credential);
        await f.repos.sessions.create(other.session, other.credential);
        const crossed = {
          ...rotation(mine.credential.id, other.session.id),
          liveSessionId: other.session.id,
        };
        assert.equal(await f.repos.sessions.rotate(crossed), false);
        assert.equal((await f.repos.sessions.findCredential(mine.credential.id))?.rotatedAt, null);
      }));

    test('rotate of an unknown credential returns false and inserts nothing', () =>
      withStore(backend, async (f) => {
        const { app, user } = await seedUser(f);
        const { session, credential } = newSession(app.id, user.id);
        await f.repos.sessions.create(session, credential);
        const request = rotation(newId(), session.id);
        assert.equal(await f.repos.sessions.rotate(request), false);
        assert.equal(await f.repos.sessions.findCredential(request.successor.id), null);
      }));

    test('rotate is a compare-and-swap: of 20 concurrent rotations exactly one wins', () =>
      withStore(
        backend,
        async (f) => {
          const { app, user } = await seedUser(f);
          for (let round = 0; round < 3; round++) {
            const { session, credential } = newSession(app.id, user.id);
            await f.repos.sessions.create(session, credential);
            const requests = Array.from({ length: 20 }, () => rotation(credential.id, session.id));
            const results = await Promise.all(requests.map((r) => f.repos.sessions.rotate(r)));
            assert.equal(results.filter((won) => won).length, 1, `round ${round}: ${results.join(',')}`);
            const winner = requests[results.indexOf(true)]!;
            const rows = await credentialRows(f, session.id);
            assert.deepEqual(rows.map((r) => r.id).sort(), [credential.id, winner.successor.id].sort());
            const stored = await f.repos.sessions.findCredential(credential.id);
            assert.equal(stored?.successorId, winner.successor.id);
            assert.equal(stored?.successorSealed, winner.successorSealed);
          }
        },
        { poolSize: 10 },
      ));

    test('revoke ends a session once; a second revoke and an unknown id return false', () =>
      withStore(backend, async (f) => {
        const { app, user } = await seedUser(f);
        const { session, credential } = newSession(app.id, user.id);
        await f.repos.sessions.create(session, credential);
        assert.equal(await f.repos.sessions.revoke(session.id, T0 + 10, 'logout'), true);
        assert.deepEqual(await f.repos.sessions.findSession(session.id), {
          ...session,
          revokedAt: T0 + 10,
          revokeReason: 'logout',
        });
        assert.equal(await f.repos.sessions.revoke(session.id, T0 + 10, 'again'), false);
        assert.equal(await f.repos.sessions.revoke(session.id, T0 + 20, 'later'), false);
        const after = await f.repos.sessions.findSession(session.id);
        assert.equal(after?.revokedAt, T0 + 10);
        assert.equal(after?.revokeReason, 'logout');
        assert.equal(await f.repos.sessions.revoke(newId(), T0, 'logout'), false);
        assert.deepEqual(
          await f.repos.sessions.findCredential(credential.id),
          credential,
          'credentials stay',
        );
      }));

    test('revoke with an earlier time overrides a later scheduled one, never the reverse', () =>
      withStore(backend, async (f) => {
        const { app, user } = await seedUser(f);
        const { session, credential } = newSession(app.id, user.id);
        await f.repos.sessions.create(session, credential);
        assert.equal(await f.repos.sessions.revoke(session.id, T0 + HOUR / 2, 'deactivated'), true);
        assert.equal(await f.repos.sessions.revoke(session.id, T0 + HOUR, 'even later'), false);
        assert.equal((await f.repos.sessions.findSession(session.id))?.revokedAt, T0 + HOUR / 2);
        assert.equal(await f.repos.sessions.revoke(session.id, T0 + 5, 'logout'), true);
        const s = await f.repos.sessions.findSession(session.id);
        assert.equal(s?.revokedAt, T0 + 5);
        assert.equal(s?.revokeReason, 'logout');
      }));

    test('revokeAllForUser revokes the live sessions of one user, except one, and returns their ids', () =>
      withStore(backend, async (f) => {
        const { app, user } = await seedUser(f);
        const other = await f.repos.users.create(newUser(app.id, { username: 'bob' }), T0);
        const at = T0 + 100;
        const make = async (userId: string, overrides: Partial<Session> = {}) => {
          const { session, credential } = newSession(app.id, userId, overrides);
          await f.repos.sessions.create(session, credential);
          return session;
        };
        const live1 = await make(user.id);
        const live2 = await make(user.id, { kind: 'feathers' });
        const scheduled = await make(user.id, { revokedAt: T0 + HOUR / 2, revokeReason: 'deactivated' });
        const kept = await make(user.id);
        const revokedBefore = await make(user.id, { revokedAt: T0 + 50, revokeReason: 'logout' });
        const expired = await make(user.id, { expiresAt: at });
        const someoneElse = await make(other.id);

        const ids = await f.repos.sessions.revokeAllForUser(user.id, at, 'password_changed', kept.id);
        assert.deepEqual([...ids].sort(), [live1.id, live2.id, scheduled.id].sort());
        for (const s of [live1, live2, scheduled]) {
          assert.deepEqual(await f.repos.sessions.findSession(s.id), {
            ...s,
            revokedAt: at,
            revokeReason: 'password_changed',
          });
        }
        for (const s of [kept, revokedBefore, expired, someoneElse]) {
          assert.deepEqual(await f.repos.sessions.findSession(s.id), s, 'left alone');
        }
        assert.deepEqual(await f.repos.sessions.revokeAllForUser(user.id, at + 1, 'again', kept.id), []);
        assert.deepEqual(await f.repos.sessions.revokeAllForUser(user.id, at + 1, 'all'), [kept.id]);
        assert.deepEqual(await f.repos.sessions.revokeAllForUser(newId(), at, 'nobody'), []);
      }));

    test('listRevokedSince lists sessions revoked at or after the instant, scheduled ones included', () =>
      withStore(backend, async (f) => {
        const { app, user } = await seedUser(f);
        const make = async (revokedAt: number | null) => {
          const { session, credential } = newSession(app.id, user.id, {
            revokedAt,
            revokeReason: revokedAt === null ? null : 'r',
          });
          await f.repos.sessions.create(session, credential);
          return session;
        };
        await make(null);
        await make(T0 + 999);
        const atEdge = await make(T0 + 1000);
        const after = await make(T0 + 1500);
        const future = await make(T0 + 10 * HOUR);
        const listed = await f.repos.sessions.listRevokedSince(T0 + 1000);
        assert.deepEqual(
          [...listed].sort((a, b) => a.revokedAt - b.revokedAt),
          [
            { id: atEdge.id, revokedAt: T0 + 1000 },
            { id: after.id, revokedAt: T0 + 1500 },
            { id: future.id, revokedAt: T0 + 10 * HOUR },
          ],
        );
        assert.equal(typeof listed[0]?.revokedAt, 'number');
        assert.deepEqual(await f.repos.sessions.listRevokedSince(T0 + 11 * HOUR), []);
      }));

    test("retained revocations outlive their user's deletion in listRevokedSince, until deleteEndedBefore passes them", () =>
      withStore(backend, async (f) => {
        const { app, user } = await seedUser(f);
        const other = await f.repos.users.create(newUser(app.id, { username: 'bob' }), T0);
        const make = async (userId: string, revokedAt: number | null) => {
          const { session, credential } = newSession(app.id, userId, {
            expiresAt: T0 + 2 * HOUR,
            revokedAt,
            revokeReason: revokedAt === null ? null : 'r',
          });
          await f.repos.sessions.create(session, credential);
          return session;
        };
        const signedOut = await make(user.id, T0 + 10);
        const ended = await make(user.id, T0 + 20);
        await make(user.id, null);
        const othersEnded = await make(other.id, T0 + 30);
        await f.repos.sessions.retainRevocationsOfUser(user.id);
        await f.repos.sessions.retainRevocationsOfUser(user.id); // twice is harmless
        await f.repos.users.delete(app.id, user.id);
        const listed = (await f.repos.sessions.listRevokedSince(T0)).sort(
          (a, b) => a.revokedAt - b.revokedAt,
        );
        assert.deepEqual(listed, [
          { id: signedOut.id, revokedAt: T0 + 10 },
          { id: ended.id, revokedAt: T0 + 20 },
          { id: othersEnded.id, revokedAt: T0 + 30 },
        ]);
        assert.equal(typeof listed[0]?.revokedAt, 'number');
        assert.deepEqual(
          (await f.repos.sessions.listRevokedSince(T0 + 15)).map((r) => r.id).sort(),
          [ended.id, othersEnded.id].sort(),
        );
        // Pruned with the sessions: once revoked before the cutoff, nothing is left to list.
        await f.repos.sessions.deleteEndedBefore(T0 + 25);
        assert.deepEqual(await f.repos.sessions.listRevokedSince(T0), [
          { id: othersEnded.id, revokedAt: T0 + 30 },
        ]);
      }));

    test('deleteEndedBefore deletes expired and revoked sessions with their credentials, and counts them', () =>
      withStore(backend, async (f) => {
        const { app, user } = await seedUser(f);
        const cutoff = T0 + HOUR;
        const make = async (overrides: Partial<Session>) => {
          const { session, credential } = newSession(app.id, user.id, overrides);
          await f.repos.sessions.create(session, credential);
          return { session, credential };
        };
        const expired = await make({ expiresAt: cutoff - 1 });
        const revoked = await make({
          expiresAt: cutoff + HOUR,
          revokedAt: cutoff - 1,
          revokeReason: 'logout',
        });
        const expiresAtCutoff = await make({ expiresAt: cutoff });
        const revokedAtCutoff = await make({
          expiresAt: cutoff + HOUR,
          revokedAt: cutoff,
          revokeReason: 'x',
        });
        const scheduled = await make({
          expiresAt: cutoff + HOUR,
          revokedAt: cutoff + 1,
          revokeReason: 'later',
        });
        const live = await make({ expiresAt: cutoff + HOUR });
        const rotation1 = rotation(expired.credential.id, expired.session.id);
        assert.equal(await f.repos.sessions.rotate(rotation1), true);

        assert.equal(await f.repos.sessions.deleteEndedBefore(cutoff), 2);
        for (const gone of [expired, revoked]) {
          assert.equal(await f.repos.sessions.findSession(gone.session.id), null);
          assert.equal(await f.repos.sessions.findCredential(gone.credential.id), null);
        }
        assert.equal(await f.repos.sessions.findCredential(rotation1.successor.id), null);
        for (const kept of [expiresAtCutoff, revokedAtCutoff, scheduled, live]) {
          assert.deepEqual(await f.repos.sessions.findSession(kept.session.id), kept.session);
          assert.deepEqual(await f.repos.sessions.findCredential(kept.credential.id), kept.credential);
        }
        assert.equal(await f.repos.sessions.deleteEndedBefore(cutoff), 0);
        assert.equal(await f.repos.sessions.deleteEndedBefore(cutoff + 2), 3);
      }));
  });
}
