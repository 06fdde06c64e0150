import { Secret, TOTP } from 'otpauth';

export const TOTP_PERIOD_SECONDS = 30;
export const TOTP_DIGITS = 6;

/** A fresh 160-bit secret (RFC 4226 R6 recommends 160), base32: 32 characters. */
export function newTotpSecret(): string {
  return new Secret({ size: 20 }).base32;
}

function totp(secret: string, label = 'latchkey', issuer = 'Latchkey'): TOTP {
  return new TOTP({
    issuer,
    label,
    algorithm: 'SHA1',
    digits: TOTP_DIGITS,
    period: TOTP_PERIOD_SECONDS,
    secret: Secret.fromBase32(secret),
  });
}

/** The time step (RFC 6238 T) of a moment. */
export function stepAt(nowMs: number): number {
  return Math.floor(nowMs / 1000 / TOTP_PERIOD_SECONDS);
}

/**
 * The step whose code `token` is, if it is the current step or one either side
 * (RFC 6238 §5.2: at most one step of network delay); null otherwise. Only the
 * server's clock counts.
 */
export function matchingStep(secret: string, token: string, nowMs: number): number | null {
  if (!/^\d{6}$/.test(token)) return null;
  const delta = totp(secret).validate({ token, timestamp: nowMs, window: 1 });
  return delta === null ? null : stepAt(nowMs) + delta;
}

/** The code for a moment (tests, and the hosted page's own checks). */
export function codeAt(secret: string, nowMs: number): string {
  return totp(secret).generate({ timestamp: nowMs });
}

/** The otpauth:// URI authenticator apps scan. */
export function otpauthUri(secret: string, issuer: string, accountName: string): string {
  return totp(secret, accountName, issuer).toString();
}
