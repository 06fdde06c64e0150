import { type App, appQName } from '../identity/types.js';
import { type Session, sessionAmr } from '../session/index.js';
import { isLatchkeyError, LatchkeyError } from '../shared/errors.js';
import type { TokenService } from '../tokens/jwt.js';
import type { SubjectKind } from './types.js';

export const PRINCIPAL_KIND = 'apps-principal' as const;

/** What an apps session carries across refreshes: the token's identity claims, fixed at sign-in. */
export interface PrincipalData {
  login: string;
  alias: string;
  subjectKind: SubjectKind;
  profileWSID: number;
}

export function principalData(session: Session): PrincipalData {
  const d = session.data as Partial<PrincipalData>;
  return {
    login: typeof d.login === 'string' ? d.login : '',
    alias: typeof d.alias === 'string' ? d.alias : '',
    subjectKind: d.subjectKind === 2 ? 2 : 1,
    profileWSID: typeof d.profileWSID === 'number' ? d.profileWSID : 0,
  };
}

/** RFC 3339 as Go marshals a time.Time: no fractional part when there is none. */
function rfc3339(ms: number): string {
  return new Date(ms).toISOString().replace('.000Z', 'Z');
}

export interface IssuedPrincipal {
  value: string;
  expiresInSeconds: number;
  profileWSID: number;
}

/**
 * Signs a principal token with the reference's claim names (voedger PrincipalPayload,
 * top level): Login, Alias, SubjectKind, ProfileWSID, AppQName, Roles, GlobalRoles,
 * IsAPIToken, Duration (nanoseconds), IssuedAt; plus iat/exp, and Latchkey's own iss,
 * aud (the app), sub (the user id), jti (the credential) and sid (the session), which
 * is what makes it revocable. It never outlives its session.
 */
export async function signPrincipal(
  tokens: TokenService,
  app: App,
  session: Session,
  credentialId: string,
  nowMs: number,
  ttlSeconds: number,
): Promise<IssuedPrincipal> {
  const data = principalData(session);
  const iat = Math.floor(nowMs / 1000);
  const exp = Math.min(iat + ttlSeconds, Math.floor(session.expiresAt / 1000));
  const amr = sessionAmr(session);
  const value = await tokens.sign(
    PRINCIPAL_KIND,
    {
      Login: data.login,
      Alias: data.alias,
      SubjectKind: data.subjectKind,
      ProfileWSID: data.profileWSID,
      AppQName: appQName(app),
      Roles: null,
      GlobalRoles: null,
      IsAPIToken: false,
      Duration: ttlSeconds * 1_000_000_000,
      IssuedAt: rfc3339(iat * 1000),
      sid: session.id,
      // Go's JSON decoding ignores a field PrincipalPayload does not name, so the reference's
      // readers are unaffected. Absent for a session from before it was recorded.
      ...(amr ? { amr } : {}),
    },
    {
      audience: appQName(app),
      subject: session.userId,
      id: credentialId,
      issuedAtMs: iat * 1000,
      expiresAtMs: exp * 1000,
    },
  );
  return { value, expiresInSeconds: exp - iat, profileWSID: data.profileWSID };
}

export interface VerifiedPrincipal {
  userId: string;
  sessionId: string;
  credentialId: string;
  claims: Record<string, unknown>;
  expiresInSeconds: number;
}

/** The reference's 401 texts: `token expired`, or `invalid token` for every other failure (forged, another app's, revoked). */
export function tokenError(expired: boolean): LatchkeyError {
  return expired
    ? new LatchkeyError('token_expired', 'token expired')
    : new LatchkeyError('token_invalid', 'invalid token');
}

/**
 * Verifies a principal token for `app`: signature, kind, issuer, audience (the app),
 * expiry, the reference's AppQName claim, and that its session is not revoked.
 */
export async function verifyPrincipal(
  tokens: TokenService,
  isRevoked: (sessionId: string) => boolean,
  app: App,
  token: string,
): Promise<VerifiedPrincipal> {
  let verified: Awaited<ReturnType<TokenService['verify']>>;
  try {
    verified = await tokens.verify(token, [PRINCIPAL_KIND], { audience: appQName(app) });
  } catch (err) {
    throw tokenError(isLatchkeyError(err) && err.code === 'token_expired');
  }
  const { sid, jti, sub, iat, exp } = verified.claims;
  if (
    typeof sid !== 'string' ||
    typeof jti !== 'string' ||
    typeof sub !== 'string' ||
    typeof iat !== 'number' ||
    typeof exp !== 'number' ||
    verified.claims['AppQName'] !== appQName(app)
  ) {
    throw tokenError(false);
  }
  if (isRevoked(sid)) throw tokenError(false);
  return {
    userId: sub,
    sessionId: sid,
    credentialId: jti,
    claims: verified.claims,
    expiresInSeconds: exp - iat,
  };
}
