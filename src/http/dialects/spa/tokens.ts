import type { SpaSettings } from '../../../config/spa.js';
import { appQName, isDeactivated, type User } from '../../../identity/types.js';
import type { Services } from '../../../services.js';
import { type ClientInfo, type IssuedCredential, type Session, sessionAmr } from '../../../session/index.js';
import { LatchkeyError } from '../../../shared/errors.js';
import { newId, newSecret, sha256Hex } from '../../../shared/ids.js';
import type { SpaGrant, SpaMethod } from '../../../spa/index.js';
import type { TokenKind } from '../../../tokens/kinds.js';

export const SPA_ACCESS: TokenKind = 'spa-access';

/**
 * What an spa session carries across refreshes: how it began, and for which survey.
 * Its `amr` is the session's own (SessionService); `mfa` is read only from sessions
 * started before the `amr` was recorded.
 */
export interface SpaSessionData {
  method: SpaMethod;
  surveyId: string | null;
  mfa?: boolean;
}

/**
 * The audience of spa access tokens: the app the dialect serves, as for rpc tokens.
 * The kind (`typ: spa-access+jwt`) tells them apart; every bearer-authenticated route
 * of that app accepts both.
 */
export function spaAudience(services: Services): string {
  return appQName(services.defaultApp);
}

function sessionData(session: Session): SpaSessionData {
  const data = session.data as Partial<SpaSessionData>;
  const method = data.method === 'alias' || data.method === 'login-link' ? data.method : 'password';
  return {
    method,
    surveyId: typeof data.surveyId === 'string' ? data.surveyId : null,
    mfa: data.mfa === true,
  };
}

/** RFC 8176 method references as the sign-in recorded them (see identity/amr.ts). */
function amr(session: Session, data: SpaSessionData): string[] {
  const recorded = sessionAmr(session);
  if (recorded) return recorded;
  // A session started before the amr was recorded: what its tokens said then.
  const first = data.method === 'login-link' ? 'link' : 'pwd';
  return data.mfa ? [first, 'mfa'] : [first];
}

/**
 * Signs a short-lived access token for a session: `sub` the user, `sid` the session
 * (so revoking it refuses the token at once), `survey` when the sign-in was for one.
 * Its `exp` never passes the session's end nor a scheduled deactivation. The login
 * link's secret is never a claim.
 */
export async function issueAccessToken(
  services: Services,
  settings: SpaSettings,
  session: Session,
  user: User,
): Promise<string> {
  const data = sessionData(session);
  const now = services.clock.now();
  let expiresAtMs = Math.min(now + settings.accessTokenTtlSeconds * 1000, session.expiresAt);
  if (user.deactivatedAt !== null) expiresAtMs = Math.min(expiresAtMs, user.deactivatedAt);
  return services.tokens.sign(
    SPA_ACCESS,
    {
      sid: session.id,
      amr: amr(session, data),
      ...(data.surveyId === null ? {} : { survey: data.surveyId }),
    },
    { audience: spaAudience(services), subject: user.id, id: newId(), expiresAtMs },
  );
}

/** An opaque refresh token: `<credential id>.<secret>`; only SHA-256 of the secret is stored. */
export function refreshCredential(credentialId: string): IssuedCredential {
  const secret = newSecret(32);
  return { value: `${credentialId}.${secret}`, secretHash: sha256Hex(secret) };
}

/** Starts an spa session for a completed sign-in: its refresh token and a first access token. */
export async function startSession(
  services: Services,
  settings: SpaSettings,
  grant: SpaGrant,
  client: ClientInfo,
): Promise<{ session: Session; refreshToken: string; accessToken: string }> {
  const data: SpaSessionData = { method: grant.method, surveyId: grant.surveyId };
  const { session, value } = await services.sessions.start(
    {
      appId: services.defaultApp.id,
      userId: grant.user.id,
      kind: 'spa',
      data: { ...data },
      amr: grant.amr,
      ttlMs: settings.sessionTtlSeconds * 1000,
      client,
      userDeactivatesAt: grant.user.deactivatedAt,
    },
    async (credentialId) => refreshCredential(credentialId),
  );
  const accessToken = await issueAccessToken(services, settings, session, grant.user);
  return { session, refreshToken: value, accessToken };
}

/** The user behind a session being refreshed; deleted or deactivated users end it. */
export async function userForRefresh(services: Services, session: Session): Promise<User> {
  if (session.kind !== 'spa') throw new LatchkeyError('session_not_found', 'Not an spa session');
  const user = await services.repos.users.findById(session.appId, session.userId);
  if (!user) throw new LatchkeyError('user_not_found', 'User does not exist');
  if (isDeactivated(user, services.clock.now()))
    throw new LatchkeyError('user_deactivated', 'User is deactivated');
  return user;
}
