import type { FeathersSettings } from '../../../config/feathers.js';
import { appQName, isDeactivated, type User } from '../../../identity/types.js';
import type { SecondFactor } from '../../../mfa/index.js';
import type { Services } from '../../../services.js';
import { type IssuedCredential, type Session, sessionAmr } from '../../../session/index.js';
import { isLatchkeyError, LatchkeyError } from '../../../shared/errors.js';
import type { RequestContext } from '../../../shared/request-context.js';
import type { TokenKind } from '../../../tokens/kinds.js';
import type { Caller } from './authentication.js';
import { FeathersHttpError, invalidToken } from './errors.js';

export const FEATHERS_KIND: TokenKind = 'feathers-access';

export function feathersAudience(services: Services): string {
  return appQName(services.defaultApp);
}

/** A verified feathers token: its user, claims and where it points. */
export interface FeathersPrincipal {
  user: User;
  claims: Record<string, unknown>;
  sessionId: string;
  credentialId: string;
}

/**
 * Signs the access token of one credential of a session. Its `exp` is the configured
 * lifetime (Feathers' `1d` by default) but never past the session's absolute end nor a
 * scheduled deactivation. The claims name the session (`sid`) so that signing out ends
 * every token of it, and carry `_id` as feathers-authentication 0.7 tokens did.
 */
async function issue(
  services: Services,
  settings: FeathersSettings,
  credentialId: string,
  session: Session,
  user: User,
): Promise<IssuedCredential> {
  let expiresAtMs = Math.min(services.clock.now() + settings.tokenTtlSeconds * 1000, session.expiresAt);
  if (user.deactivatedAt !== null) expiresAtMs = Math.min(expiresAtMs, user.deactivatedAt);
  const amr = sessionAmr(session);
  const value = await services.tokens.sign(
    FEATHERS_KIND,
    { sid: session.id, _id: user.id, ...(amr ? { amr } : {}) },
    {
      audience: feathersAudience(services),
      subject: user.id,
      id: credentialId,
      expiresAtMs: Math.floor(expiresAtMs / 1000) * 1000,
    },
  );
  return { value, secretHash: null };
}

/**
 * The one sign-in flow of the core (throttling, no enumeration, 'Not Activated' only
 * after a correct password, the second factor of MFA users), then a new session.
 */
export async function signInWithPassword(
  services: Services,
  settings: FeathersSettings,
  caller: Caller,
  input: { email: string; password: string; secondFactor?: SecondFactor | undefined },
): Promise<{ user: User; token: string }> {
  const app = services.defaultApp;
  const { client } = caller;
  const { user, amr } = await services.signIn.signIn({
    appId: app.id,
    login: input.email,
    password: input.password,
    client,
    secondFactor: input.secondFactor,
    context: caller.context,
  });
  if (caller.onDevice) caller.onDevice(await services.signIn.rememberDevice(app.id, user.id, client));
  const { value } = await services.sessions.start(
    {
      appId: app.id,
      userId: user.id,
      kind: 'feathers',
      data: {},
      amr,
      client,
      userDeactivatesAt: user.deactivatedAt,
    },
    (credentialId, s) => issue(services, settings, credentialId, s, user),
  );
  return { user, token: value };
}

/**
 * Checks a presented token: signature, kind, issuer, audience, expiry; then that its
 * session is not revoked and its user still exists, is not deactivated and is active.
 * An expired token says so ('jwt expired', the words Feathers clients know); every
 * other refusal reads the same.
 */
export async function authenticateToken(services: Services, token: string): Promise<FeathersPrincipal> {
  let claims: Record<string, unknown>;
  try {
    claims = (await services.tokens.verify(token, [FEATHERS_KIND], { audience: feathersAudience(services) }))
      .claims;
  } catch (err) {
    if (isLatchkeyError(err) && err.code === 'token_expired') throw new FeathersHttpError(401, 'jwt expired');
    throw invalidToken();
  }
  const { sid, sub, jti } = claims;
  if (typeof sid !== 'string' || typeof sub !== 'string' || typeof jti !== 'string') throw invalidToken();
  if (services.sessions.isRevoked(sid)) throw invalidToken();
  const user = await services.users.get(services.defaultApp.id, sub).catch((err: unknown) => {
    if (isLatchkeyError(err) && err.code === 'user_not_found') throw invalidToken();
    throw err;
  });
  if (isDeactivated(user, services.clock.now())) throw invalidToken();
  if (!user.isActive) throw new LatchkeyError('user_not_activated', 'Not Activated');
  return { user, claims, sessionId: sid, credentialId: jti };
}

/**
 * /auth/token: a fresh token in the same session. The credential rotates (the core's
 * refresh): concurrent exchanges of one token within the grace window get the same new
 * token; exchanging an already exchanged token after it is taken as theft and ends the
 * session. The presented token itself stays valid until it expires or the session ends.
 */
export async function exchangeToken(
  services: Services,
  settings: FeathersSettings,
  token: string,
  context: RequestContext,
): Promise<{ user: User; token: string }> {
  const current = await authenticateToken(services, token);
  const outcome = await services.sessions
    .refresh(
      current.credentialId,
      undefined,
      (credentialId, session) => issue(services, settings, credentialId, session, current.user),
      { context },
    )
    .catch((err: unknown) => {
      if (isLatchkeyError(err) && err.code === 'session_not_found') throw invalidToken();
      throw err;
    });
  return { user: current.user, token: outcome.value };
}

/** Signs out: the session behind the token is revoked, so none of its tokens works any more. */
export async function signOut(
  services: Services,
  token: string,
  context: RequestContext,
): Promise<FeathersPrincipal> {
  const current = await authenticateToken(services, token);
  await services.sessions.revoke(current.sessionId, 'sign_out', { context });
  return current;
}

/** The claims of a token this dialect has just signed (for `authentication.payload`). */
export async function claimsOf(services: Services, token: string): Promise<Record<string, unknown>> {
  return (await services.tokens.verify(token, [FEATHERS_KIND], { audience: feathersAudience(services) }))
    .claims;
}
