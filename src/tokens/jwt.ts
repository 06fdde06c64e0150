import { decodeProtectedHeader, type JWTPayload, errors as joseErrors, jwtVerify, SignJWT } from 'jose';
import { LRUCache } from 'lru-cache';
import type { Clock } from '../shared/clock.js';
import { LatchkeyError } from '../shared/errors.js';
import { deepFreeze } from '../shared/freeze.js';
import type { KeyRing } from './keyring.js';
import { isInternalKind, type TokenKind, typHeader } from './kinds.js';

export interface SignOptions {
  audience: string;
  subject?: string;
  /** Token id (`jti`). */
  id?: string;
  expiresAtMs: number;
  issuedAtMs?: number;
}

export interface VerifyOptions {
  audience: string;
  /**
   * Accept a token whose `exp` passed up to this long ago: refresh presents expired
   * tokens on purpose, and its session record decides whether they still count.
   */
  acceptExpiredForMs?: number;
}

export interface VerifiedToken {
  kind: TokenKind;
  claims: JWTPayload & Record<string, unknown>;
  expiresAtMs: number;
}

const MAX_TOKEN_LENGTH = 16 * 1024;
/** What the cache records as the "key" of an internal token: it has no kid. */
const INTERNAL_KEY = '';
const INTERNAL_ALG = 'HS256';

/**
 * Signs and verifies Latchkey's JWTs: access tokens with EdDSA under the published
 * keys (JWKS), internal tokens (INTERNAL_KINDS) with HS256 under a key derived from
 * the master secret, which is never published: a resource server verifying against
 * the JWKS cannot accept one of those, whatever claims it checks. Verified tokens are remembered in
 * a bounded cache, so a token presented on every request is checked cryptographically
 * once; expiry and revocation are still checked on every use by the caller.
 */
export class TokenService {
  /** Verified (or self-signed) tokens with the key that signed them. */
  private readonly verified: LRUCache<string, VerifiedToken & { kid: string }>;

  constructor(
    private readonly keys: KeyRing,
    private readonly clock: Clock,
    private readonly issuer: string,
    private readonly clockSkewSeconds: number,
    /** Keys of internal tokens, the current one first (then those of fallback master secrets: they only verify). */
    private readonly internalKeys: readonly Uint8Array[],
    cacheSize = 10_000,
  ) {
    if (internalKeys.length === 0) throw new Error('TokenService needs a key for internal tokens');
    this.verified = new LRUCache({ max: cacheSize });
  }

  async sign(kind: TokenKind, claims: Record<string, unknown>, options: SignOptions): Promise<string> {
    const internal = isInternalKind(kind);
    const { kid, privateKey } = internal
      ? { kid: INTERNAL_KEY, privateKey: this.internalKeys[0]! }
      : this.keys.signingKey();
    const issuedAt = Math.floor((options.issuedAtMs ?? this.clock.now()) / 1000);
    const expiresAt = Math.floor(options.expiresAtMs / 1000);
    const jwt = new SignJWT(claims)
      .setProtectedHeader(
        internal ? { alg: INTERNAL_ALG, typ: typHeader(kind) } : { alg: 'EdDSA', kid, typ: typHeader(kind) },
      )
      .setIssuer(this.issuer)
      .setAudience(options.audience)
      .setIssuedAt(issuedAt)
      .setExpirationTime(expiresAt);
    if (options.subject) jwt.setSubject(options.subject);
    if (options.id) jwt.setJti(options.id);
    const token = await jwt.sign(privateKey);
    // This exact string is valid by construction: remember it as verified, so the first
    // time it comes back (a token check, a refresh) costs no signature verification.
    // Not one too long to be verified: it must be refused here as on every other node.
    if (token.length <= MAX_TOKEN_LENGTH) {
      this.verified.set(
        token,
        deepFreeze({
          kid,
          kind,
          claims: {
            ...structuredClone(claims),
            iss: this.issuer,
            aud: options.audience,
            iat: issuedAt,
            exp: expiresAt,
            ...(options.subject ? { sub: options.subject } : {}),
            ...(options.id ? { jti: options.id } : {}),
          },
          expiresAtMs: expiresAt * 1000,
        }),
      );
    }
    return token;
  }

  /** Verifies signature, algorithm, kind, issuer, audience and expiry; throws token_invalid / token_expired. */
  async verify(token: string, kinds: readonly TokenKind[], options: VerifyOptions): Promise<VerifiedToken> {
    const cached = this.verifyCached(token, kinds, options);
    if (cached) return cached;
    // Frozen: every holder of this token gets the same object, so none may change it.
    const result = deepFreeze(await this.verifyFully(token, kinds, options, this.clock.now()));
    this.verified.set(token, result);
    return result;
  }

  /**
   * The same checks as verify, synchronously, for a token already verified (or signed)
   * by this process; undefined when it is not cached and needs the full verification.
   * The token check uses it to answer without a promise hop.
   */
  verifyCached(
    token: string,
    kinds: readonly TokenKind[],
    options: VerifyOptions,
  ): VerifiedToken | undefined {
    const cached = this.verified.get(token);
    if (!cached) return undefined;
    const now = this.clock.now();
    if (!kinds.includes(cached.kind) || cached.claims.aud !== options.audience) throw invalid();
    // Its key may have been withdrawn since (the end of a rotation's overlap).
    if (cached.kid !== INTERNAL_KEY && !this.keys.verificationKey(cached.kid, now)) throw invalid();
    const allowedMs = this.clockSkewSeconds * 1000 + (options.acceptExpiredForMs ?? 0);
    if (cached.expiresAtMs + allowedMs <= now) throw expired();
    return cached;
  }

  private async verifyFully(
    token: string,
    kinds: readonly TokenKind[],
    options: VerifyOptions,
    now: number,
  ): Promise<VerifiedToken & { kid: string }> {
    if (typeof token !== 'string' || token.length === 0 || token.length > MAX_TOKEN_LENGTH) throw invalid();
    let header: ReturnType<typeof decodeProtectedHeader>;
    try {
      header = decodeProtectedHeader(token);
    } catch {
      throw invalid();
    }
    if (header.crit !== undefined) throw invalid();
    const kind = kinds.find((k) => typHeader(k) === header.typ);
    if (!kind) throw invalid();
    if (isInternalKind(kind)) return this.verifyInternal(token, kind, options, now);
    // Only our own algorithm, our own kinds, and keys we hold: jku/x5u/jwk headers are never followed.
    if (header.alg !== 'EdDSA' || typeof header.kid !== 'string') throw invalid();
    // A kid this node has never seen may be another node's key from a moment ago; only this
    // path waits for storage, never a token already remembered (verifyCached).
    const key =
      this.keys.verificationKey(header.kid, now) ??
      ((await this.keys.holdsAfterReload(header.kid)) ? this.keys.verificationKey(header.kid, now) : null);
    if (!key) throw invalid();
    try {
      const { payload } = await jwtVerify(token, key.publicKey, this.checks('EdDSA', kind, options, now));
      return {
        kid: header.kid,
        kind,
        claims: payload as VerifiedToken['claims'],
        expiresAtMs: (payload.exp ?? 0) * 1000,
      };
    } catch (err) {
      if (err instanceof joseErrors.JWTExpired) throw expired();
      throw invalid();
    }
  }

  /** An internal kind: HS256 under the current key, or one of a fallback master secret (a rotation in progress). */
  private async verifyInternal(
    token: string,
    kind: TokenKind,
    options: VerifyOptions,
    now: number,
  ): Promise<VerifiedToken & { kid: string }> {
    for (const key of this.internalKeys) {
      try {
        const { payload } = await jwtVerify(token, key, this.checks(INTERNAL_ALG, kind, options, now));
        return {
          kid: INTERNAL_KEY,
          kind,
          claims: payload as VerifiedToken['claims'],
          expiresAtMs: (payload.exp ?? 0) * 1000,
        };
      } catch (err) {
        if (err instanceof joseErrors.JWTExpired) throw expired();
        // Another key may have signed it; any other failure is the same with every key.
        if (!(err instanceof joseErrors.JWSSignatureVerificationFailed)) throw invalid();
      }
    }
    throw invalid();
  }

  private checks(alg: string, kind: TokenKind, options: VerifyOptions, now: number) {
    return {
      algorithms: [alg],
      issuer: this.issuer,
      audience: options.audience,
      typ: typHeader(kind),
      requiredClaims: ['exp', 'iat'],
      currentDate: new Date(now),
      clockTolerance: this.clockSkewSeconds + Math.floor((options.acceptExpiredForMs ?? 0) / 1000),
    };
  }

  /** Forget verified tokens (after a key was withdrawn). */
  clearCache(): void {
    this.verified.clear();
  }
}

function invalid(): LatchkeyError {
  return new LatchkeyError('token_invalid', 'Invalid session token; cannot be verified');
}

function expired(): LatchkeyError {
  return new LatchkeyError('token_expired', 'Session token has expired');
}
