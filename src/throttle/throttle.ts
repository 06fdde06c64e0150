import { LatchkeyError } from '../shared/errors.js';
import { addressKey } from './address.js';
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
    private readonly options: { ipv6PrefixLength: number } = { ipv6PrefixLength: 64 },
  ) {}

  /**
   * How a client address appears in a key: every per-address counter goes through
   * here, so an IPv6 client is counted by its prefix (throttle.ipv6PrefixLength) everywhere.
   */
  address(ip: string): string {
    return addressKey(ip, this.options.ipv6PrefixLength);
  }

  /**
   * Counts an attempt on every key, or throws rate_limited (429 + Retry-After) when one is
   * blocked. Keys are tried in order and the first refusal ends it, taking back what this
   * call counted on the keys before it: a refused attempt costs its client nothing more,
   * and above all adds nothing to the wider counters after it (a stranger held at 429 on
   * one account must not push that account's ceiling up for everyone else).
   */
  async attempt(keys: ThrottleKey[], now: number): Promise<void> {
    const counted: string[] = [];
    for (const k of keys) {
      const key = this.qualify(k.key);
      const result = await this.limiter.attempt(key, k.policy, now);
      if (result.allowed) {
        counted.push(key);
        continue;
      }
      for (const done of counted) await this.limiter.refund(done);
      this.onRefused(this.scope);
      throw new LatchkeyError('rate_limited', 'Too many attempts; try again later', {
        retryAfterSeconds: Math.ceil(result.retryAfterMs / 1000),
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
