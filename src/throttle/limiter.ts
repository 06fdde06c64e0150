import type { ThrottlePolicy } from './policy.js';
import { delayAfter } from './policy.js';

export interface AttemptResult {
  allowed: boolean;
  /** When refused: how long until the next attempt is allowed. */
  retryAfterMs: number;
  failures: number;
}

/**
 * Attempt counters with growing delays. `attempt` is atomic per key: it refuses while
 * the key is blocked, and otherwise counts the attempt *before* the secret is checked,
 * so a burst of parallel guesses cannot all slip through before the first failure is
 * recorded. A success resets the key. One node keeps them in memory; many share Redis.
 */
export interface AttemptLimiter {
  attempt(key: string, policy: ThrottlePolicy, now: number): Promise<AttemptResult>;
  reset(key: string): Promise<void>;
  /** Takes back one counted attempt (it turned out to be a success). */
  refund(key: string): Promise<void>;
}

interface Entry {
  failures: number;
  blockedUntil: number;
  expiresAt: number;
}

export class MemoryAttemptLimiter implements AttemptLimiter {
  private readonly entries = new Map<string, Entry>();
  private lastSweep = 0;

  async attempt(key: string, policy: ThrottlePolicy, now: number): Promise<AttemptResult> {
    this.sweep(now);
    const current = this.entries.get(key);
    const live = current && current.expiresAt > now ? current : null;
    if (live && live.blockedUntil > now) {
      return { allowed: false, retryAfterMs: live.blockedUntil - now, failures: live.failures };
    }
    const failures = (live?.failures ?? 0) + 1;
    const blockedUntil = now + delayAfter(policy, failures);
    this.entries.set(key, {
      failures,
      blockedUntil,
      expiresAt: Math.max(blockedUntil, now + policy.windowMs),
    });
    return { allowed: true, retryAfterMs: 0, failures };
  }

  async reset(key: string): Promise<void> {
    this.entries.delete(key);
  }

  async refund(key: string): Promise<void> {
    const entry = this.entries.get(key);
    if (!entry) return;
    if (entry.failures <= 1) this.entries.delete(key);
    else entry.failures -= 1;
  }

  /** Drops expired counters, at most once a minute, so memory stays bounded by recent activity. */
  private sweep(now: number): void {
    if (now - this.lastSweep < 60_000) return;
    this.lastSweep = now;
    for (const [k, e] of this.entries) if (e.expiresAt <= now) this.entries.delete(k);
  }
}
