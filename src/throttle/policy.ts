/**
 * Growing delays instead of lockout (NIST 800-63B 5.2.2, OWASP): the first
 * `freeFailures` failures cost nothing; each further one doubles the wait, from
 * `baseDelayMs` up to `maxDelayMs`. An attacker can slow a victim's sign-in down
 * but never lock it for good, and 100 guesses take hours.
 * Counters forget after `windowMs` without failures; a success resets the account.
 */
export interface ThrottlePolicy {
  freeFailures: number;
  baseDelayMs: number;
  maxDelayMs: number;
  windowMs: number;
}

/** Per account (app + login): guessing one user's password. */
export const ACCOUNT_POLICY: ThrottlePolicy = {
  freeFailures: 5,
  baseDelayMs: 1000,
  maxDelayMs: 15 * 60_000,
  windowMs: 60 * 60_000,
};

/** Per client address: spraying many accounts from one place. */
export const ADDRESS_POLICY: ThrottlePolicy = {
  freeFailures: 50,
  baseDelayMs: 1000,
  maxDelayMs: 15 * 60_000,
  windowMs: 60 * 60_000,
};

export function delayAfter(policy: ThrottlePolicy, failures: number): number {
  if (failures <= policy.freeFailures) return 0;
  const exponent = Math.min(failures - policy.freeFailures - 1, 30);
  return Math.min(policy.baseDelayMs * 2 ** exponent, policy.maxDelayMs);
}
