/**
 * SessionService.refresh skips the read of a credential this process issued and lets
 * the rotation itself check the session in storage. These tests run two services on
 * one database without a bus between them (two nodes whose broadcast was lost), so
 * whatever one node does is visible to the other only through storage: the remembered
 * path must still honour it exactly as the path that reads.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { SessionRepository } from '../../src/session/ports.js';
import { MemoryRevocationList } from '../../src/session/revocation.js';
import { type CredentialFactory, type SessionEvent, SessionService } from '../../src/session/service.js';
import { ManualClock } from '../../src/shared/clock.js';
import { isLatchkeyError, LatchkeyError } from '../../src/shared/errors.js';
import { sha256Hex } from '../../src/shared/ids.js';
import { Sealer } from '../../src/shared/seal.js';
import { createApp, type Fixture, newUser, rejection, T0, withStore } from '../conformance/support.js';
import { backends } from '../helpers/backends.js';

const GRACE_MS = 30_000;
/** These calls come from no request: the events they emit carry no request context. */
const NO_REQUEST = { context: undefined };

/** A repository that counts the reads a refresh would start with. */
function counting(repo: SessionRepository): { repo: SessionRepository; reads: () => number } {
  let reads = 0;
  const counted = Object.create(repo) as SessionRepository;
  counted.findCredentialWithSession = (id) => {
    reads++;
    return repo.findCredentialWithSession(id);
  };
  return { repo: counted, reads: () => reads };
}

function node(f: Fixture, clock: ManualClock) {
  const { repo, reads } = counting(f.repos.sessions);
  const events: SessionEvent[] = [];
  const sessions = new SessionService(
    repo,
    new MemoryRevocationList(3600_000, () => clock.now()),
    new Sealer('x'.repeat(48), 'session-successors'),
    clock,
    { sessionTtlMs: 3600_000, refreshGraceMs: GRACE_MS },
  );
  sessions.onEvent = (event) => events.push(event);
  return { sessions, reads, events };
}

/** Credentials named after their id; with `secret`, each also holds that secret. */
const credentials =
  (secret?: string): CredentialFactory =>
  async (id) => ({ value: `value:${id}`, secretHash: secret === undefined ? null : sha256Hex(secret) });

const idOf = (value: string) => value.slice('value:'.length);

/** The caller's check of the user before a rotation, refusing: the user has been deactivated. */
const deactivated = async () => {
  throw new LatchkeyError('user_deactivated', 'User account is deactivated');
};

async function setUp(f: Fixture, secret?: string) {
  const clock = new ManualClock(T0);
  const app = await createApp(f.repos);
  const user = await f.repos.users.create(newUser(app.id, { username: 'alice' }), T0);
  const a = node(f, clock);
  const b = node(f, clock);
  const started = await a.sessions.start(
    {
      appId: app.id,
      userId: user.id,
      kind: 'rpc',
      client: { ip: null, userAgent: null },
      userDeactivatesAt: null,
    },
    credentials(secret),
  );
  return { clock, a, b, session: started.session, first: idOf(started.value) };
}

async function notFound(promise: Promise<unknown>): Promise<void> {
  const err = await rejection(promise);
  assert.ok(isLatchkeyError(err) && err.code === 'session_not_found', String(err));
}

for (const backend of await backends()) {
  describe(`SessionService.refresh of remembered credentials on ${backend.name}`, () => {
    test('the issuing node rotates its own credentials without reading them first; another node reads', () =>
      withStore(backend, async (f) => {
        const { a, b, first } = await setUp(f);
        const second = await a.sessions.refresh(first, undefined, credentials(), NO_REQUEST);
        const third = await a.sessions.refresh(idOf(second.value), undefined, credentials(), NO_REQUEST);
        assert.equal(third.rotatedNow, true);
        assert.equal(a.reads(), 0, 'a chain issued here is rotated from memory');
        const fourth = await b.sessions.refresh(idOf(third.value), undefined, credentials(), NO_REQUEST);
        assert.equal(fourth.rotatedNow, true);
        assert.equal(b.reads(), 1, 'a credential issued elsewhere is read');
        const stored = await f.repos.sessions.findCredential(idOf(third.value));
        assert.equal(stored?.successorId, idOf(fourth.value));
      }));

    test('a session revoked through another node is refused, and nothing is rotated', () =>
      withStore(backend, async (f) => {
        const { clock, a, b, session, first } = await setUp(f);
        clock.advance(1000);
        await b.sessions.revoke(session.id, 'sign_out', NO_REQUEST);
        assert.equal(a.sessions.isRevoked(session.id), false, 'no bus: node a has not heard of it');
        await notFound(a.sessions.refresh(first, undefined, credentials(), NO_REQUEST));
        assert.equal((await f.repos.sessions.findCredential(first))?.rotatedAt, null);
      }));

    test('a credential rotated through another node: within the grace window its successor, after it reuse revokes the session', () =>
      withStore(backend, async (f) => {
        const { clock, a, b, session, first } = await setUp(f);
        const rotatedElsewhere = await b.sessions.refresh(first, undefined, credentials(), NO_REQUEST);
        clock.advance(GRACE_MS - 1);
        const again = await a.sessions.refresh(first, undefined, credentials(), NO_REQUEST);
        assert.equal(again.value, rotatedElsewhere.value);
        assert.equal(again.rotatedNow, false);
        clock.advance(2);
        await notFound(a.sessions.refresh(first, undefined, credentials(), NO_REQUEST));
        assert.deepEqual(
          a.events.map((e) => e.type),
          ['session.revoked', 'refresh.reuse_detected'],
        );
        assert.notEqual((await f.repos.sessions.findSession(session.id))?.revokedAt, null);
        assert.equal(a.sessions.isRevoked(session.id), true);
      }));

    test('a remembered credential with a secret still needs that secret', () =>
      withStore(backend, async (f) => {
        const { a, first } = await setUp(f, 'the secret');
        await notFound(a.sessions.refresh(first, 'another secret', credentials('the secret'), NO_REQUEST));
        await notFound(a.sessions.refresh(first, undefined, credentials('the secret'), NO_REQUEST));
        assert.equal((await f.repos.sessions.findCredential(first))?.rotatedAt, null);
        const next = await a.sessions.refresh(first, 'the secret', credentials('the secret'), NO_REQUEST);
        assert.equal(next.rotatedNow, true);
      }));

    test('a refusal before the rotation (a deactivated user) answers as the reading path does', () =>
      withStore(backend, async (f) => {
        const { a, first } = await setUp(f);
        const err = await rejection(
          a.sessions.refresh(first, undefined, credentials(), {
            beforeRotate: deactivated,
            context: undefined,
          }),
        );
        assert.ok(isLatchkeyError(err) && err.code === 'user_deactivated', String(err));
        assert.equal(a.reads(), 1, 'the reading path decided');
        assert.equal((await f.repos.sessions.findCredential(first))?.rotatedAt, null);
      }));

    test('a reuse outranks that refusal: a credential rotated elsewhere, replayed late, still revokes the session', () =>
      withStore(backend, async (f) => {
        const { clock, a, b, session, first } = await setUp(f);
        await b.sessions.refresh(first, undefined, credentials(), NO_REQUEST);
        clock.advance(GRACE_MS + 1);
        await notFound(
          a.sessions.refresh(first, undefined, credentials(), {
            beforeRotate: deactivated,
            context: undefined,
          }),
        );
        assert.deepEqual(
          a.events.map((e) => e.type),
          ['session.revoked', 'refresh.reuse_detected'],
        );
        assert.notEqual((await f.repos.sessions.findSession(session.id))?.revokedAt, null);
      }));

    test('a storage failure during the rotation is answered as it is, without a second attempt through a read', () =>
      withStore(backend, async (f) => {
        const { a, first } = await setUp(f);
        const repo = f.repos.sessions as unknown as Record<string, unknown>;
        const rotate = repo['rotate'];
        const down = Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' });
        repo['rotate'] = async () => {
          throw down;
        };
        try {
          assert.equal(
            await rejection(a.sessions.refresh(first, undefined, credentials(), NO_REQUEST)),
            down,
          );
        } finally {
          repo['rotate'] = rotate;
        }
        assert.equal(a.reads(), 0);
        assert.equal(
          (await a.sessions.refresh(first, undefined, credentials(), NO_REQUEST)).rotatedNow,
          true,
        );
      }));

    test('an expired session is refused without making a successor', () =>
      withStore(backend, async (f) => {
        const { clock, a, first } = await setUp(f);
        clock.advance(3600_000);
        let made = 0;
        const counted: CredentialFactory = async (id, s) => {
          made++;
          return credentials()(id, s);
        };
        await notFound(a.sessions.refresh(first, undefined, counted, NO_REQUEST));
        assert.equal(made, 0);
      }));
  });
}
