import { LatchkeyError } from '../shared/errors.js';
import type { AttemptLimiter } from './limiter.js';
import type { ThrottlePolicy } from './policy.js';

export interface ThrottleKey {
  key: string;
  policy: ThrottlePolicy;
}

/**
 * Guards one kind of secret check (sign-in, TOTP, recovery codes, ...) with counters
 * per account and per client address. Every attempt is counted before the secret is
 * looked at; a blocked caller is refused without evaluation, so a correct guess during
 * the delay gains nothing.
 */
export class Throttle {
  onRefused: (scope: string) => void = () => {};

  constructor(
    private readonly limiter: AttemptLimiter,
    private readonly scope: string,
  ) {}

  /** Counts an attempt on every key, or throws rate_limited (429 + Retry-After) when any is blocked. */
  async attempt(keys: ThrottleKey[], now: number): Promise<void> {
    let wait = 0;
    for (const k of keys) {
      const result = await this.limiter.attempt(this.qualify(k.key), k.policy, now);
      if (!result.allowed) wait = Math.max(wait, result.retryAfterMs);
    }
    if (wait > 0) {
      this.onRefused(this.scope);
      throw new LatchkeyError('rate_limited', 'Too many attempts; try again later', {
        retryAfterSeconds: Math.ceil(wait / 1000),
      });
    }
  }

  /**
   * A success clears the account's counter, and takes back the attempt it counted on
   * the other keys: addresses count failures only (an office behind one NAT signs in
   * all day), yet one good password does not wipe a spray's failures.
   */
  async succeeded(accountKeys: string | string[], otherKeys: string[] = []): Promise<void> {
    for (const key of typeof accountKeys === 'string' ? [accountKeys] : accountKeys)
      await this.limiter.reset(this.qualify(key));
    for (const key of otherKeys) await this.limiter.refund(this.qualify(key));
  }

  private qualify(key: string): string {
    return `${this.scope}:${key}`;
  }
}
