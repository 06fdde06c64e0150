import { timingSafeEqual } from 'node:crypto';
import { LRUCache } from 'lru-cache';
import type { Clock } from '../shared/clock.js';
import { isLatchkeyError, LatchkeyError } from '../shared/errors.js';
import { newId, sha256Hex } from '../shared/ids.js';
import type { RequestContext } from '../shared/request-context.js';
import type { Sealer } from '../shared/seal.js';
import type { SessionRepository } from './ports.js';
import type { RevocationList, RevocationListener } from './revocation.js';
import {
  AMR_KEY,
  type ClientInfo,
  isSessionLive,
  type Session,
  type SessionCredential,
  type SessionKind,
} from './types.js';

export interface SessionSettings {
  sessionTtlMs: number;
  refreshGraceMs: number;
  /**
   * How long a session of each kind may go without a new credential (no sign-in nor
   * refresh) before its refresh is refused and it ends. Unset: no idle limit.
   */
  idleMs?: (kind: SessionKind) => number;
}

/** What a dialect turns a credential id into: the string handed to the client, and the hash to store if it holds a secret. */
export interface IssuedCredential {
  value: string;
  secretHash: string | null;
}

export type CredentialFactory = (credentialId: string, session: Session) => Promise<IssuedCredential>;

export interface RefreshOutcome {
  /** The session as stored when its credential was issued or read (a revocation scheduled since may be missing). */
  session: Session;
  value: string;
  /** False when this request got the successor another request had already created (grace window). */
  rotatedNow: boolean;
}

/** Emitted for the audit log and metrics. */
export type SessionEvent =
  | { type: 'session.revoked'; session: Session; reason: string }
  | { type: 'refresh.reuse_detected'; session: Session; credentialId: string };

/**
 * A credential this process issued: what a refresh would otherwise read back. Of these
 * only the session's revocation can change since, and the rotation checks that in storage.
 */
interface IssuedHere {
  session: Session;
  secretHash: string | null;
  issuedAt: number;
}

/**
 * How many of the credentials this process issued last it remembers. A refresh of one
 * of them skips the read of the credential and its session (see refresh); a refresh of
 * any other (older, or issued by another node) reads as before. About 1 KB each.
 */
const REMEMBERED_CREDENTIALS = 10_000;

/**
 * Server-side sessions and their rotating credentials. Every token Latchkey issues
 * points at a session; revoking the session ends them all at once.
 */
export class SessionService {
  onEvent: (event: SessionEvent, context: RequestContext | undefined) => void = () => {};
  private readonly issuedHere = new LRUCache<string, IssuedHere>({ max: REMEMBERED_CREDENTIALS });

  constructor(
    private readonly repo: SessionRepository,
    private readonly revoked: RevocationList,
    private readonly sealer: Sealer,
    private readonly clock: Clock,
    private readonly settings: SessionSettings,
  ) {}

  isRevoked(sessionId: string): boolean {
    return this.revoked.isRevoked(sessionId, this.clock.now());
  }

  /** Tells `listener` of every revocation (this node's and, through the shared list, the others'). */
  onRevoked(listener: RevocationListener): () => void {
    return this.revoked.subscribe(listener);
  }

  async start(
    input: {
      appId: string;
      userId: string;
      kind: SessionKind;
      data?: Record<string, unknown>;
      /**
       * How the user signed in (RFC 8176 `amr`), remembered with the session so that
       * every token refreshed from it says the same (read back with sessionAmr).
       */
      amr?: readonly string[];
      /** Absolute lifetime of this session, when its dialect sets its own (the spa refresh lifetime). */
      ttlMs?: number;
      client: ClientInfo;
      /** The user's deactivation, when one is scheduled for later: the session ends then too. */
      userDeactivatesAt: number | null;
    },
    makeCredential: CredentialFactory,
  ): Promise<{ session: Session; value: string }> {
    const now = this.clock.now();
    const session: Session = {
      id: newId(),
      appId: input.appId,
      userId: input.userId,
      kind: input.kind,
      createdAt: now,
      expiresAt: now + (input.ttlMs ?? this.settings.sessionTtlMs),
      revokedAt: null,
      revokeReason: null,
      clientIp: input.client.ip,
      userAgent: input.client.userAgent,
      data: input.amr ? { ...input.data, [AMR_KEY]: [...input.amr] } : (input.data ?? {}),
    };
    const credentialId = newId();
    const issued = await makeCredential(credentialId, session);
    await this.repo.create(session, {
      id: credentialId,
      sessionId: session.id,
      secretHash: issued.secretHash,
      createdAt: now,
      rotatedAt: null,
      successorId: null,
      successorSealed: null,
      graceUntil: null,
    });
    this.issuedHere.set(credentialId, { session, secretHash: issued.secretHash, issuedAt: now });
    // The deactivation's doing, not the sign-in's: no request context.
    if (input.userDeactivatesAt !== null)
      await this.revoke(session.id, 'user_deactivated', { at: input.userDeactivatesAt, context: undefined });
    return { session, value: issued.value };
  }

  /** The live session behind a credential, or session_not_found. Checks an opaque secret when one is given. */
  async sessionForCredential(
    credentialId: string,
    secret?: string,
  ): Promise<{ session: Session; credential: SessionCredential }> {
    const found = await this.repo.findCredentialWithSession(credentialId);
    if (!found || !secretMatches(found.credential, secret)) throw notFound();
    if (!isSessionLive(found.session, this.clock.now())) throw notFound();
    return found;
  }

  /**
   * Rotates a credential. Concurrent refreshes of one credential within the grace
   * window all receive the identical successor; a rotated credential presented after
   * the window is treated as stolen and the whole session is revoked.
   * `beforeRotate` lets the caller check the user (deactivated, deleted) first;
   * `context` is the refreshing request, for the event of a detected reuse.
   *
   * The common case, a credential this process issued and nobody has rotated, takes one
   * statement: the rotation itself, which also checks in storage that the session is
   * still live. When that rotation does not go through (rotated already, session
   * ended, anything else), the refresh starts over from a read and decides as always.
   */
  async refresh(
    credentialId: string,
    secret: string | undefined,
    makeCredential: CredentialFactory,
    options: { beforeRotate?: (session: Session) => Promise<void>; context: RequestContext | undefined },
  ): Promise<RefreshOutcome> {
    const known = this.issuedHere.get(credentialId);
    if (
      known &&
      secretMatches(known, secret) &&
      isSessionLive(known.session, this.clock.now()) &&
      !this.isRevoked(known.session.id) &&
      !this.idleSince(known.session, known.issuedAt)
    ) {
      // A refusal is settled by the full path below, which reads and decides (a reuse, for
      // one, outranks a deactivated user); a failure (storage down) is answered as it is.
      const outcome = await this.rotate(credentialId, known.session, makeCredential, {
        ...options,
        unread: true,
      }).catch((err: unknown) => {
        if (isLatchkeyError(err)) return null;
        throw err;
      });
      if (outcome) return outcome;
    }
    const { session, credential } = await this.sessionForCredential(credentialId, secret);
    if (credential.rotatedAt !== null) return this.replay(session, credential, options.context);
    if (this.idleSince(session, credential.createdAt)) {
      await this.revoke(session.id, 'idle_timeout', { context: options.context });
      throw notFound();
    }
    const outcome = await this.rotate(credentialId, session, makeCredential, options);
    if (outcome) return outcome;
    // Another request rotated it between our read and our write: take its successor.
    const current = await this.repo.findCredential(credentialId);
    if (!current) throw notFound();
    return this.replay(session, current, options.context);
  }

  /**
   * One rotation attempt: the caller's checks, the successor, the compare-and-swap.
   * Null when the swap loses. `unread`: the session comes from memory, so the swap
   * itself must find it live.
   */
  private async rotate(
    credentialId: string,
    session: Session,
    makeCredential: CredentialFactory,
    options: { beforeRotate?: (session: Session) => Promise<void>; unread?: boolean },
  ): Promise<RefreshOutcome | null> {
    await options.beforeRotate?.(session);
    const now = this.clock.now();
    const successorId = newId();
    const issued = await makeCredential(successorId, session);
    const won = await this.repo.rotate({
      credentialId,
      successor: {
        id: successorId,
        sessionId: session.id,
        secretHash: issued.secretHash,
        createdAt: now,
        rotatedAt: null,
        successorId: null,
        successorSealed: null,
        graceUntil: null,
      },
      successorSealed: this.sealer.seal(issued.value),
      graceUntil: Math.min(now + this.settings.refreshGraceMs, session.expiresAt),
      now,
      ...(options.unread ? { liveSessionId: session.id } : {}),
    });
    if (!won) return null;
    this.issuedHere.delete(credentialId);
    this.issuedHere.set(successorId, { session, secretHash: issued.secretHash, issuedAt: now });
    return { session, value: issued.value, rotatedNow: true };
  }

  /** Whether a credential issued at `issuedAt`, unused since, has outlived the idle limit. */
  private idleSince(session: Session, issuedAt: number): boolean {
    const idleMs = this.settings.idleMs?.(session.kind);
    return idleMs !== undefined && this.clock.now() - issuedAt > idleMs;
  }

  private async replay(
    session: Session,
    credential: SessionCredential,
    context: RequestContext | undefined,
  ): Promise<RefreshOutcome> {
    const now = this.clock.now();
    if (credential.graceUntil !== null && credential.graceUntil > now && credential.successorSealed) {
      return { session, value: this.sealer.open(credential.successorSealed), rotatedNow: false };
    }
    await this.revoke(session.id, 'refresh_reuse', { context });
    this.onEvent({ type: 'refresh.reuse_detected', session, credentialId: credential.id }, context);
    throw notFound();
  }

  /**
   * Ends a session, now or `at` a later time. Idempotent. `context` is the request that
   * ends it, for the event; a revocation scheduled for later has none.
   */
  async revoke(
    sessionId: string,
    reason: string,
    options: { at?: number; context: RequestContext | undefined },
  ): Promise<void> {
    const at = options.at ?? this.clock.now();
    const session = await this.repo.findSession(sessionId);
    this.revoked.add(sessionId, at);
    if (await this.repo.revoke(sessionId, at, reason)) {
      if (session) this.onEvent({ type: 'session.revoked', session, reason }, options.context);
    }
  }

  /** Undoes revocations scheduled for later (a deactivation that was cancelled before it took effect). */
  async cancelScheduledRevocations(userId: string, reason: string): Promise<number> {
    const ids = await this.repo.cancelScheduledRevocations(userId, this.clock.now(), reason);
    for (const id of ids) this.revoked.cancel(id);
    return ids.length;
  }

  /**
   * Ends every session of a user whose rows are about to be deleted (the user's or its
   * app's deletion), and keeps the revocations beyond the rows: nodes that learn of
   * revocations from the database, and every node starting up, still refuse the tokens.
   */
  async endAllBeforeDeletion(userId: string, reason: string): Promise<number> {
    const ended = await this.revokeAllForUser(userId, reason);
    await this.repo.retainRevocationsOfUser(userId);
    return ended;
  }

  /** Ends every session of a user (password change, deactivation), optionally keeping one. */
  async revokeAllForUser(
    userId: string,
    reason: string,
    options: { at?: number; except?: string } = {},
  ): Promise<number> {
    const at = options.at ?? this.clock.now();
    const ids = await this.repo.revokeAllForUser(userId, at, reason, options.except);
    for (const id of ids) this.revoked.add(id, at);
    return ids.length;
  }
}

function notFound(): LatchkeyError {
  return new LatchkeyError('session_not_found', 'Authentication token does not exist or has already expired');
}

function secretMatches(credential: { secretHash: string | null }, secret: string | undefined): boolean {
  if (credential.secretHash === null) return secret === undefined;
  if (secret === undefined) return false;
  const a = Buffer.from(credential.secretHash, 'hex');
  const b = Buffer.from(sha256Hex(secret), 'hex');
  return a.length === b.length && timingSafeEqual(a, b);
}
