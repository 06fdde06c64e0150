import { jwtVerify, SignJWT } from 'jose';
import type { Clock } from '../shared/clock.js';
import { newId } from '../shared/ids.js';
import { deriveKeys, type MasterSecrets } from '../shared/master-secrets.js';

/** The name clients present a device token under: an http-only cookie, or this request header. */
export const DEVICE_COOKIE = 'latchkey_device';
export const DEVICE_HEADER = 'latchkey-device';

/** Neither an access token's type nor its audience: a resource server never takes it for one. */
const TYP = 'latchkey-device+jwt';
const AUDIENCE = 'urn:latchkey:device';

export interface KnownDevice {
  deviceId: string;
  userId: string;
}

/**
 * OWASP's device cookie: a client that has signed in to an account gets a token naming
 * that account, and keeps a password allowance of its own there, so a stranger's wrong
 * guesses elsewhere cannot lock it out. HS256 under a key derived from the master secret
 * (never published, unlike the access tokens' keys); the fallback secrets still verify
 * during a rotation. It proves a past sign-in only, and grants nothing else.
 */
export class DeviceTokens {
  private readonly keys: Buffer[];

  constructor(
    secrets: MasterSecrets,
    private readonly clock: Clock,
    private readonly ttlSeconds: number,
  ) {
    this.keys = deriveKeys(secrets, 'device-tokens');
  }

  /** A token for this client and account; the same device id when the client already had one for it. */
  async issue(appId: string, userId: string, deviceId: string = newId()): Promise<string> {
    const nowSeconds = Math.floor(this.clock.now() / 1000);
    return new SignJWT({ app: appId })
      .setProtectedHeader({ alg: 'HS256', typ: TYP })
      .setSubject(userId)
      .setAudience(AUDIENCE)
      .setJti(deviceId)
      .setIssuedAt(nowSeconds)
      .setExpirationTime(nowSeconds + this.ttlSeconds)
      .sign(this.keys[0]!);
  }

  /** The device a presented token names, or null for anything else (forged, expired, another app's). */
  async verify(appId: string, token: string | null | undefined): Promise<KnownDevice | null> {
    if (!token || token.length > 2048) return null;
    for (const key of this.keys) {
      try {
        const { payload } = await jwtVerify(token, key, {
          algorithms: ['HS256'],
          typ: TYP,
          audience: AUDIENCE,
          currentDate: new Date(this.clock.now()),
          requiredClaims: ['sub', 'jti', 'exp'],
        });
        if (payload['app'] !== appId || typeof payload.sub !== 'string' || typeof payload.jti !== 'string')
          return null;
        return { deviceId: payload.jti, userId: payload.sub };
      } catch {
        // Signed under a fallback secret, or not a device token at all: try the next key.
      }
    }
    return null;
  }
}
