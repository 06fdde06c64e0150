import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { deriveKeys, type MasterSecrets, masterSecrets } from './master-secrets.js';

/**
 * Authenticated encryption (AES-256-GCM) for secrets kept at rest: private signing
 * keys, TOTP secrets, mail bodies and grace-window successors of rotated tokens. The
 * key is derived per purpose from the master secret with HKDF, so one leaked derived
 * key opens nothing else. Format: v1.<iv>.<tag>.<ciphertext>, base64url parts.
 *
 * Values are sealed under the current master secret only; they open under it or under
 * any fallback (a secret being rotated out). GCM's tag tells a wrong key apart, so no
 * key id is stored: a value sealed under the current secret, the common case, costs
 * one attempt, and only values from before a rotation try the fallbacks.
 */
export class Sealer {
  /** The current key first, then one per fallback secret. */
  private readonly keys: Buffer[];

  constructor(secrets: string | MasterSecrets, purpose: string) {
    this.keys = deriveKeys(masterSecrets(secrets), `seal:${purpose}`);
  }

  seal(plaintext: string): string {
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.keys[0]!, iv);
    const body = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
    return [
      'v1',
      iv.toString('base64url'),
      cipher.getAuthTag().toString('base64url'),
      body.toString('base64url'),
    ].join('.');
  }

  open(sealed: string): string {
    const opened = this.tryOpen(sealed);
    if (!opened) throw new Error('sealed value does not open under the master secret or its fallbacks');
    return opened.plaintext;
  }

  /**
   * Which secret opens the value: 0 the current one, n the n-th fallback, -1 none of
   * them (sealed under a secret that is not configured, or damaged).
   */
  opener(sealed: string): number {
    try {
      return this.tryOpen(sealed)?.keyIndex ?? -1;
    } catch {
      return -1;
    }
  }

  /** The value sealed anew under the current secret; it must open under one of the configured secrets. */
  reseal(sealed: string): string {
    return this.seal(this.open(sealed));
  }

  private tryOpen(sealed: string): { plaintext: string; keyIndex: number } | null {
    const [version, iv, tag, body] = sealed.split('.');
    if (version !== 'v1' || !iv || !tag || body === undefined)
      throw new Error('sealed value has an unknown format');
    const ivBytes = Buffer.from(iv, 'base64url');
    const tagBytes = Buffer.from(tag, 'base64url');
    const bodyBytes = Buffer.from(body, 'base64url');
    for (let keyIndex = 0; keyIndex < this.keys.length; keyIndex++) {
      const decipher = createDecipheriv('aes-256-gcm', this.keys[keyIndex]!, ivBytes);
      decipher.setAuthTag(tagBytes);
      try {
        const plaintext = Buffer.concat([decipher.update(bodyBytes), decipher.final()]).toString('utf8');
        return { plaintext, keyIndex };
      } catch {
        // Not this key (GCM's tag does not match): try the next one.
      }
    }
    return null;
  }
}
