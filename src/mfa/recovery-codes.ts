import { randomBytes } from 'node:crypto';
import { sha256Hex } from '../shared/ids.js';

const ALPHABET = 'abcdefghijkmnpqrstuvwxyz23456789'; // 32 symbols without look-alikes (l, o, 0, 1)
export const RECOVERY_CODE_COUNT = 10;

/**
 * 24 symbols of 5 bits = 120 bits each: above the 112 bits under which ASVS 6.5.2
 * asks for a salted slow hash, so a plain SHA-256 at rest is enough and a code can
 * be found by its hash in one indexed lookup. Shown as six groups of four.
 */
export function newRecoveryCode(): string {
  const bytes = randomBytes(24);
  let out = '';
  for (let i = 0; i < 24; i++) {
    if (i > 0 && i % 4 === 0) out += '-';
    out += ALPHABET[bytes[i]! & 31];
  }
  return out;
}

/** Case, spaces and dashes do not matter when a code is typed back. */
export function normalizeRecoveryCode(code: string): string {
  return code.toLowerCase().replace(/[\s-]/g, '');
}

export function hashRecoveryCode(code: string): string {
  return sha256Hex(normalizeRecoveryCode(code));
}

export function looksLikeRecoveryCode(code: string): boolean {
  return /^[a-z0-9]{24}$/.test(normalizeRecoveryCode(code));
}
