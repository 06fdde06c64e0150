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
  /**
   * The sessions whose revocation is scheduled after `now` (those a cancellation may still
   * undo), with its time and since when this list has had it.
   */
  scheduledAfter(now: number): Array<{ id: string; at: number; since: number }>;
  /** When a session is (or will be) revoked, as this list knows it. */
  revokedAt(sessionId: string): number | undefined;
  size(): number;
  /**
   * Calls `listener` whenever a session gets a revocation (or an earlier one), from this
   * node or another: for connections that must learn of it (the feathers socket). Returns
   * the unsubscribe function.
   */
  subscribe(listener: RevocationListener): () => void;
}

export type RevocationListener = (sessionId: string, revokedAt: number) => void;

export class MemoryRevocationList implements RevocationList {
  private readonly revoked = new Map<string, number>();
  /** The few entries set for later (pending deactivations), kept apart so a poll need not scan them all. */
  private readonly scheduled = new Map<string, number>();
  private lastPrune = 0;
  private readonly listeners = new Set<RevocationListener>();

  constructor(
    private readonly horizonMs: number,
    private readonly now: () => number,
  ) {}

  add(sessionId: string, revokedAt: number): void {
    const existing = this.revoked.get(sessionId);
    if (existing === undefined || revokedAt < existing) {
      this.revoked.set(sessionId, revokedAt);
      const now = this.now();
      if (revokedAt > now) this.scheduled.set(sessionId, now);
      else this.scheduled.delete(sessionId);
      for (const listener of this.listeners) {
        try {
          listener(sessionId, revokedAt);
        } catch {
          // A listener's failure is its own: the revocation stands for everyone else.
        }
      }
    }
    this.prune();
  }

  subscribe(listener: RevocationListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  isRevoked(sessionId: string, now: number): boolean {
    const at = this.revoked.get(sessionId);
    return at !== undefined && at <= now;
  }

  cancel(sessionId: string): void {
    this.revoked.delete(sessionId);
    this.scheduled.delete(sessionId);
  }

  scheduledAfter(now: number): Array<{ id: string; at: number; since: number }> {
    const out: Array<{ id: string; at: number; since: number }> = [];
    for (const [id, since] of this.scheduled) {
      const at = this.revoked.get(id);
      if (at !== undefined && at > now) out.push({ id, at, since });
      else this.scheduled.delete(id); // in force now: no cancellation can undo it any more
    }
    return out;
  }

  revokedAt(sessionId: string): number | undefined {
    return this.revoked.get(sessionId);
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
    for (const id of this.scheduled.keys()) if (!this.revoked.has(id)) this.scheduled.delete(id);
  }
}
