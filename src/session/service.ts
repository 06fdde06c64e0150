import { timingSafeEqual } from 'node:crypto';
import type { Clock } from '../shared/clock.js';
import { LatchkeyError } from '../shared/errors.js';
import { newId, sha256Hex } from '../shared/ids.js';
import type { RequestContext } from '../shared/request-context.js';
import type { Sealer } from '../shared/seal.js';
import type { SessionRepository } from './ports.js';
import type { RevocationList } from './revocation.js';
import {
  type ClientInfo,
  isSessionLive,
  type Session,
  type SessionCredential,
  type SessionKind,
} from './types.js';

export interface SessionSettings {
  sessionTtlMs: number;
  refreshGraceMs: number;
}

/** What a dialect turns a credential id into: the string handed to the client, and the hash to store if it holds a secret. */
export interface IssuedCredential {
  value: string;
  secretHash: string | null;
}

export type CredentialFactory = (credentialId: string, session: Session) => Promise<IssuedCredential>;

export interface RefreshOutcome {
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
 * Server-side sessions and their rotating credentials. Every token Latchkey issues
 * points at a session; revoking the session ends them all at once.
 */
export class SessionService {
  onEvent: (event: SessionEvent, context: RequestContext | undefined) => void = () => {};

  constructor(
    private readonly repo: SessionRepository,
    private readonly revoked: RevocationList,
    private readonly sealer: Sealer,
    private readonly clock: Clock,
    private readonly settings: SessionSettings,
  ) {}

  /** Loads recent and scheduled revocations into the in-memory revoked set (at start-up). */
  async primeRevocations(horizonMs: number): Promise<void> {
    for (const { id, revokedAt } of await this.repo.listRevokedSince(this.clock.now() - horizonMs)) {
      this.revoked.add(id, revokedAt);
    }
  }

  isRevoked(sessionId: string): boolean {
    return this.revoked.isRevoked(sessionId, this.clock.now());
  }

  async start(
    input: {
      appId: string;
      userId: string;
      kind: SessionKind;
      data?: Record<string, unknown>;
      /** Absolute lifetime of this session, when its dialect sets its own (the spa refresh lifetime). */
      ttlMs?: number;
      client: ClientInfo;
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
      data: input.data ?? {},
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
   */
  async refresh(
    credentialId: string,
    secret: string | undefined,
    makeCredential: CredentialFactory,
    options: { beforeRotate?: (session: Session) => Promise<void>; context?: RequestContext } = {},
  ): Promise<RefreshOutcome> {
    const { session, credential } = await this.sessionForCredential(credentialId, secret);
    if (credential.rotatedAt !== null) return this.replay(session, credential, options.context);
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
    });
    if (won) return { session, value: issued.value, rotatedNow: true };
    // Another request rotated it between our read and our write: take its successor.
    const current = await this.repo.findCredential(credentialId);
    if (!current) throw notFound();
    return this.replay(session, current, options.context);
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
    options: { at?: number; context?: RequestContext } = {},
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

  /** Ends every session of a user (password change, deactivation, deletion), optionally keeping one. */
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

function secretMatches(credential: SessionCredential, secret: string | undefined): boolean {
  if (credential.secretHash === null) return secret === undefined;
  if (secret === undefined) return false;
  const a = Buffer.from(credential.secretHash, 'hex');
  const b = Buffer.from(sha256Hex(secret), 'hex');
  return a.length === b.length && timingSafeEqual(a, b);
}
