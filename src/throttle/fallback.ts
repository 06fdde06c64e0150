import type { AttemptLimiter, AttemptResult } from './limiter.js';
import type { ThrottlePolicy } from './policy.js';

/**
 * Shared counters when the shared store answers, this node's own counters when it
 * does not: limits then hold per node instead of globally (documented), the error is
 * reported, and the shared counters are used again as soon as they answer.
 */
export class FallbackAttemptLimiter implements AttemptLimiter {
  constructor(
    private readonly shared: AttemptLimiter,
    private readonly local: AttemptLimiter,
    private readonly onFallback: (err: unknown) => void,
  ) {}

  private async run<T>(op: (l: AttemptLimiter) => Promise<T>): Promise<T> {
    try {
      return await op(this.shared);
    } catch (err) {
      this.onFallback(err);
      return op(this.local);
    }
  }

  attempt(key: string, policy: ThrottlePolicy, now: number): Promise<AttemptResult> {
    return this.run((l) => l.attempt(key, policy, now));
  }

  reset(key: string): Promise<void> {
    return this.run((l) => l.reset(key));
  }

  refund(key: string): Promise<void> {
    return this.run((l) => l.refund(key));
  }
}
