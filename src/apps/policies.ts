import type { ThrottlePolicy } from '../throttle/index.js';

/**
 * The apps dialect's own limits (its Throttle scopes are `apps-signin` for sign-in,
 * which uses the core ACCOUNT_POLICY / ADDRESS_POLICY, and `apps` for these).
 * Every counter is keyed by the app first, so one tenant's traffic never blocks another's.
 */

/**
 * change-password: at most one call a minute per login and client (known device, else
 * address), failed calls included (the reference's RATE 1 PER MINUTE, kept per client so
 * a stranger cannot hold the owner's minute).
 */
export const CHANGE_PASSWORD_POLICY: ThrottlePolicy = {
  freeFailures: 0,
  baseDelayMs: 60_000,
  maxDelayMs: 60_000,
  windowMs: 60_000,
};

/** Email codes requested for one address: 3 at once, then 1 min, 2 min, … up to an hour between mails. */
export const CODE_REQUEST_EMAIL_POLICY: ThrottlePolicy = {
  freeFailures: 3,
  baseDelayMs: 60_000,
  maxDelayMs: 60 * 60_000,
  windowMs: 60 * 60_000,
};

/** Email codes requested from one client address (any recipients): 20, then growing delays. */
export const CODE_REQUEST_ADDRESS_POLICY: ThrottlePolicy = {
  freeFailures: 20,
  baseDelayMs: 60_000,
  maxDelayMs: 60 * 60_000,
  windowMs: 60 * 60_000,
};

/** Code checks from one client address: 20 free failures, then doubling delays (a success resets nothing: codes are single-use). */
export const CODE_VERIFY_ADDRESS_POLICY: ThrottlePolicy = {
  freeFailures: 20,
  baseDelayMs: 1000,
  maxDelayMs: 15 * 60_000,
  windowMs: 60 * 60_000,
};

/** Wrong codes accepted against one mailed code before it is burnt. */
export const CODE_MAX_ATTEMPTS = 5;

/** Devices created from one client address: 10, then 1 min, 2 min, … up to an hour apart. */
export const DEVICE_POLICY: ThrottlePolicy = {
  freeFailures: 10,
  baseDelayMs: 60_000,
  maxDelayMs: 60 * 60_000,
  windowMs: 60 * 60_000,
};
