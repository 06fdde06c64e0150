/**
 * The revoked-session set that token verification consults in memory, so a
 * sign-out takes effect on the very next request without a database round trip
 * for valid tokens. An entry only has to outlive the tokens that could still carry
 * its session id: tokens live at most `horizonMs`, so older entries are dropped.
 *
 * This in-process implementation serves a single node; a shared implementation
 * (Redis pub/sub with a database fallback) plugs in behind the same interface.
 */
export interface RevocationList {
  add(sessionId: string, revokedAt: number): void;
  /** Revoked sessions stop working from their revocation time on (which may be scheduled in the future). */
  isRevoked(sessionId: string, now: number): boolean;
  /** Forgets a revocation that was scheduled for later and has been cancelled. */
  cancel(sessionId: string): void;
  size(): number;
}

export class MemoryRevocationList implements RevocationList {
  private readonly revoked = new Map<string, number>();
  private lastPrune = 0;

  constructor(
    private readonly horizonMs: number,
    private readonly now: () => number,
  ) {}

  add(sessionId: string, revokedAt: number): void {
    const existing = this.revoked.get(sessionId);
    if (existing === undefined || revokedAt < existing) this.revoked.set(sessionId, revokedAt);
    this.prune();
  }

  isRevoked(sessionId: string, now: number): boolean {
    const at = this.revoked.get(sessionId);
    return at !== undefined && at <= now;
  }

  cancel(sessionId: string): void {
    this.revoked.delete(sessionId);
  }

  size(): number {
    return this.revoked.size;
  }

  /** Drops entries whose tokens have all expired; at most once a minute, amortised over additions. */
  private prune(): void {
    const now = this.now();
    if (now - this.lastPrune < 60_000) return;
    this.lastPrune = now;
    for (const [id, at] of this.revoked) if (at < now - this.horizonMs) this.revoked.delete(id);
  }
}
