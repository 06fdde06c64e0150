import { createPrivateKey, createPublicKey, generateKeyPairSync, type KeyObject } from 'node:crypto';
import { calculateJwkThumbprint, exportJWK, type JWK } from 'jose';
import type { Sealer } from '../shared/seal.js';
import type { KeyRepository, StoredKey } from './ports.js';

export interface VerificationKey {
  kid: string;
  publicKey: KeyObject;
  jwk: JWK;
  createdAt: number;
  retiredAt: number | null;
  verifyUntil: number | null;
}

export interface KeyStatus {
  kid: string;
  alg: string;
  createdAt: number;
  retiredAt: number | null;
  verifyUntil: number | null;
  status: 'signing' | 'verifying' | 'expired';
}

/**
 * How often, at most, tokens naming a key this node does not hold make it re-read the keys:
 * anyone can send made-up kids, and each may cost no more than a share of one query a second.
 */
export const UNKNOWN_KID_RELOAD_INTERVAL_MS = 1000;

/**
 * The Ed25519 signing keys: the newest signs, older ones keep verifying until the
 * tokens they signed have expired. Private keys exist in clear only in memory.
 */
export class KeyRing {
  private signer: { kid: string; privateKey: KeyObject } | null = null;
  private keys = new Map<string, VerificationKey>();
  /** The re-read a token with an unknown kid started, which every such token meanwhile waits for. */
  private unknownKidReload: Promise<unknown> | null = null;
  private unknownKidReloadAt = Number.NEGATIVE_INFINITY;

  constructor(
    private readonly repo: KeyRepository,
    private readonly sealer: Sealer,
    private readonly now: () => number,
  ) {}

  /** Loads the keys, creating the first one on a fresh store. */
  async load(): Promise<void> {
    let stored = await this.repo.list();
    if (!stored.some((k) => k.retiredAt === null)) {
      await this.repo.insert(await this.generate());
      stored = await this.repo.list();
    }
    this.install(stored);
  }

  private install(stored: StoredKey[]): void {
    const keys = new Map<string, VerificationKey>();
    let signer: StoredKey | undefined;
    for (const k of stored) {
      const jwk = JSON.parse(k.publicJwk) as JWK;
      keys.set(k.kid, {
        kid: k.kid,
        publicKey: createPublicKey({ key: jwk as import('node:crypto').JsonWebKey, format: 'jwk' }),
        jwk,
        createdAt: k.createdAt,
        retiredAt: k.retiredAt,
        verifyUntil: k.verifyUntil,
      });
      if (k.retiredAt === null && (!signer || k.createdAt > signer.createdAt)) signer = k;
    }
    if (!signer) throw new Error('no current signing key');
    this.fingerprint = stored.map((k) => `${k.kid}:${k.retiredAt}:${k.verifyUntil}`).join(',');
    this.signer = { kid: signer.kid, privateKey: createPrivateKey(this.openPrivateKey(signer)) };
    this.keys = keys;
  }

  private openPrivateKey(key: StoredKey): string {
    try {
      return this.sealer.open(key.privateSealed);
    } catch {
      throw new Error(
        `signing key ${key.kid} does not open under LATCHKEY_SECRET or LATCHKEY_SECRET_FALLBACKS (secret, secretFallbacks): if the master secret was changed, put the previous one in LATCHKEY_SECRET_FALLBACKS (docs/deploy.md, "Rotating the master secret")`,
      );
    }
  }

  private async generate(): Promise<StoredKey> {
    const { publicKey, privateKey } = generateKeyPairSync('ed25519');
    const jwk = await exportJWK(publicKey);
    const kid = await calculateJwkThumbprint(jwk);
    const pem = privateKey.export({ format: 'pem', type: 'pkcs8' }).toString();
    return {
      kid,
      alg: 'EdDSA',
      publicJwk: JSON.stringify({ ...jwk, kid, alg: 'EdDSA', use: 'sig' }),
      privateSealed: this.sealer.seal(pem),
      createdAt: this.now(),
      retiredAt: null,
      verifyUntil: null,
    };
  }

  /** Adds a new signing key; the previous ones verify for `overlapMs` more (the longest token lifetime). */
  async rotate(overlapMs: number): Promise<string> {
    const key = await this.generate();
    await this.repo.insert(key);
    const now = this.now();
    await this.repo.retireAllExcept(key.kid, now, now + overlapMs);
    this.install(await this.repo.list());
    return key.kid;
  }

  /** Re-reads the keys from storage (another node rotated); true when anything changed. */
  async reload(): Promise<boolean> {
    const stored = await this.repo.list();
    const fingerprint = stored.map((k) => `${k.kid}:${k.retiredAt}:${k.verifyUntil}`).join(',');
    if (fingerprint === this.fingerprint) return false;
    this.install(stored);
    return true;
  }

  private fingerprint = '';

  /**
   * Whether this node holds `kid`, re-reading the keys first when it does not: another node
   * may have rotated a moment ago, before its announcement (or, without Redis, this node's
   * poll) arrived, and must not have its new tokens refused meanwhile. Re-reads at most once
   * per UNKNOWN_KID_RELOAD_INTERVAL_MS, concurrent callers sharing one read; a kid still
   * unknown afterwards is unknown. A store that cannot be read counts as no news here (the
   * token is refused as before); the periodic reload reports it.
   */
  async holdsAfterReload(kid: string): Promise<boolean> {
    if (this.keys.has(kid)) return true;
    if (!this.unknownKidReload) {
      const now = this.now();
      if (now - this.unknownKidReloadAt < UNKNOWN_KID_RELOAD_INTERVAL_MS) return false;
      this.unknownKidReloadAt = now;
      this.unknownKidReload = this.reload()
        .catch(() => false)
        .finally(() => {
          this.unknownKidReload = null;
        });
    }
    await this.unknownKidReload;
    return this.keys.has(kid);
  }

  signingKey(): { kid: string; privateKey: KeyObject } {
    if (!this.signer) throw new Error('key ring not loaded');
    return this.signer;
  }

  /** The key for `kid`, if it is still allowed to verify at `now`. */
  verificationKey(kid: string, now: number): VerificationKey | null {
    const key = this.keys.get(kid);
    if (!key) return null;
    if (key.verifyUntil !== null && key.verifyUntil <= now) return null;
    return key;
  }

  /** The public JWKS: every key that may still verify a token. */
  jwks(now: number): { keys: JWK[] } {
    return {
      keys: [...this.keys.values()]
        .filter((k) => k.verifyUntil === null || k.verifyUntil > now)
        .map((k) => k.jwk),
    };
  }

  status(now: number): KeyStatus[] {
    return [...this.keys.values()]
      .sort(
        (a, b) =>
          Number(b.kid === this.signer?.kid) - Number(a.kid === this.signer?.kid) ||
          b.createdAt - a.createdAt,
      )
      .map((k) => ({
        kid: k.kid,
        alg: 'EdDSA',
        createdAt: k.createdAt,
        retiredAt: k.retiredAt,
        verifyUntil: k.verifyUntil,
        status:
          k.kid === this.signer?.kid
            ? 'signing'
            : k.verifyUntil !== null && k.verifyUntil <= now
              ? 'expired'
              : 'verifying',
      }));
  }
}
