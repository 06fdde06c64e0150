import type { Session, SessionCredential } from './types.js';

export interface RotationRequest {
  credentialId: string;
  successor: SessionCredential;
  /** The successor credential sealed, handed out again to concurrent refreshes within the grace window. */
  successorSealed: string;
  graceUntil: number;
  now: number;
  /**
   * Set when the caller did not read the credential first (it issued it, see
   * SessionService.refresh): the rotation then also requires that the credential
   * belongs to this session and that the session is live at `now` (not revoked, not
   * expired), in the same statement.
   */
  liveSessionId?: string;
}

export interface SessionRepository {
  create(session: Session, first: SessionCredential): Promise<void>;
  findSession(id: string): Promise<Session | null>;
  findCredential(id: string): Promise<SessionCredential | null>;
  /** A credential with its session, in one read (every refresh starts with it). Null when either is missing. */
  findCredentialWithSession(id: string): Promise<{ credential: SessionCredential; session: Session } | null>;
  /**
   * Compare-and-swap: marks the credential rotated and inserts its successor in one
   * transaction, only if it was not rotated before (and, with `liveSessionId`, only while
   * its session is live). False means another request won, or the session has ended.
   */
  rotate(request: RotationRequest): Promise<boolean>;
  /** Revokes a live session; returns false when it was already revoked or does not exist. */
  revoke(id: string, at: number, reason: string): Promise<boolean>;
  /** Revokes every live session of a user (except one) and returns their ids. */
  revokeAllForUser(userId: string, at: number, reason: string, exceptSessionId?: string): Promise<string[]>;
  /** Clears revocations scheduled after `now` for a user (a cancelled deactivation); returns the session ids. */
  cancelScheduledRevocations(userId: string, now: number, reason: string): Promise<string[]>;
  /**
   * Keeps the revocations of a user's revoked sessions beyond their rows, which are about
   * to be deleted with the user (or its app), so that listRevokedSince still returns them.
   */
  retainRevocationsOfUser(userId: string): Promise<void>;
  /**
   * Sessions revoked at or after `since` (including those scheduled for the future, and
   * those retained after their rows were deleted), for the in-memory revoked set.
   */
  listRevokedSince(since: number): Promise<Array<{ id: string; revokedAt: number }>>;
  /**
   * Deletes sessions (and retained revocations) that ended before `before`, at most
   * `limit` of each; returns how many sessions.
   */
  deleteEndedBefore(before: number, limit?: number): Promise<number>;
}
