import type { FactorType } from '../mfa/service.js';

/**
 * Authentication Method Reference values (RFC 8176) that Latchkey's tokens carry in
 * `amr`. Registered values where one fits; `link` is Latchkey's own (no registered
 * value describes a long-lived bearer link), as permitted by RFC 8176 §1. A future
 * passkey factor adds `hwk` (a hardware-held key) and `user` (user presence/verification).
 */
export type AuthMethod = 'pwd' | 'otp' | 'mfa' | 'link' | 'hwk' | 'user';

/** How the first factor was shown. An alias names a user; its secret is still the password. */
export type FirstFactor = 'password' | 'login-link';

const FIRST_FACTOR: Record<FirstFactor, readonly AuthMethod[]> = {
  password: ['pwd'],
  'login-link': ['link'],
};

/**
 * The second factors. A recovery code is a one-time password from a printed list:
 * RFC 8176 `otp` is "one-time password", of which HOTP and TOTP are the examples it names.
 */
const SECOND_FACTOR: Record<FactorType, readonly AuthMethod[]> = {
  TOTP: ['otp'],
  RECOVERY_CODE: ['otp'],
};

const KNOWN = new Set<string>(['pwd', 'otp', 'mfa', 'link', 'hwk', 'user']);

/**
 * The `amr` of a sign-in: the first factor's values, then the second factor's and
 * `mfa` ("multiple-factor authentication", RFC 8176 §2) when one was verified.
 */
export function amrOf(first: FirstFactor, secondFactorType: string | null): AuthMethod[] {
  const values: AuthMethod[] = [...FIRST_FACTOR[first]];
  if (secondFactorType !== null) {
    values.push(...(SECOND_FACTOR[secondFactorType as FactorType] ?? []), 'mfa');
  }
  return [...new Set(values)];
}

/** A stored or signed `amr`, when it is one Latchkey wrote; null otherwise. */
export function readAmr(value: unknown): AuthMethod[] | null {
  if (!Array.isArray(value) || value.length === 0) return null;
  return value.every((v) => typeof v === 'string' && KNOWN.has(v)) ? (value as AuthMethod[]) : null;
}
