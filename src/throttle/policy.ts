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

/**
 * Per account and client (one address, or one device that signed in to the account
 * before): guessing one user's password from one place. Counting per client rather than
 * per account is what keeps a stranger's failures from locking the owner out.
 */
export const ACCOUNT_POLICY: ThrottlePolicy = {
  freeFailures: 5,
  baseDelayMs: 1000,
  maxDelayMs: 15 * 60_000,
  windowMs: 60 * 60_000,
};

/**
 * Per account, over every client without a device token of the account: stops only a
 * guess spread over many addresses (100 free failures, 20 times the per-client budget),
 * so it never bites before a distributed attack. The owner's known devices do not count
 * against it and are not held back by it (OWASP's device cookies).
 */
export const ACCOUNT_CEILING_POLICY: ThrottlePolicy = {
  freeFailures: 100,
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
