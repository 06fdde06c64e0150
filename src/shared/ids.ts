import { createHash, randomBytes } from 'node:crypto';

/**
 * Entity ids are 24 lowercase hex characters (96 random bits): the shape of the
 * MongoDB ObjectIds that the rpc and feathers references expose, so their clients
 * keep validating ids the way they always did.
 */
export function newId(): string {
  return randomBytes(12).toString('hex');
}

export function isId(value: unknown): value is string {
  return typeof value === 'string' && /^[0-9a-f]{24}$/.test(value);
}

/** A URL-safe random secret with `bytes` bytes of entropy (256 bits by default). */
export function newSecret(bytes = 32): string {
  return randomBytes(bytes).toString('base64url');
}

/** One-time and refresh secrets are stored only as this digest. */
export function sha256Hex(value: string): string {
  return createHash('sha256').update(value).digest('hex');
}
