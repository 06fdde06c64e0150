import { hkdfSync } from 'node:crypto';

/**
 * The master secret and, while it is being rotated, the fallbacks that still open what
 * was sealed (or keyed) under another one. Only `current` ever seals or keys anything new.
 */
export interface MasterSecrets {
  current: string;
  fallbacks: readonly string[];
}

/** A lone secret is a set with no fallbacks. */
export function masterSecrets(secrets: string | MasterSecrets): MasterSecrets {
  return typeof secrets === 'string' ? { current: secrets, fallbacks: [] } : secrets;
}

/**
 * One 32-byte key per master secret, the current one first, derived with HKDF-SHA-256
 * for `info`: each use gets keys of its own, so one leaked derived key opens nothing else.
 */
export function deriveKeys(secrets: MasterSecrets, info: string): Buffer[] {
  return [secrets.current, ...secrets.fallbacks].map((secret) =>
    Buffer.from(hkdfSync('sha256', secret, 'latchkey', info, 32)),
  );
}
