import type { EffectivePermission, User } from '../../../identity/types.js';
import { appQName } from '../../../identity/types.js';
import type { Services } from '../../../services.js';
import { type IssuedCredential, type Session, sessionAmr } from '../../../session/index.js';
import { LatchkeyError } from '../../../shared/errors.js';
import type { TokenKind } from '../../../tokens/kinds.js';
import { type SignInProjection, sessionUser } from './presenters.js';

/** How an rpc session travels: a bearer token (issueToken) or the session cookie (setCookie). */
export type RpcTransport = 'token' | 'cookie';

export interface RpcSessionData {
  transport: RpcTransport;
  projection: SignInProjection;
}

export const RPC_KIND: Record<RpcTransport, TokenKind> = { token: 'rpc-token', cookie: 'rpc-cookie' };

export function rpcAudience(services: Services): string {
  return appQName(services.defaultApp);
}

export function sessionData(session: Session): RpcSessionData {
  const data = session.data as Partial<RpcSessionData>;
  return {
    transport: data.transport === 'cookie' ? 'cookie' : 'token',
    projection: {
      profile: data.projection?.profile === true,
      permissions: data.projection?.permissions === true,
    },
  };
}

/**
 * Signs the rpc session JWT for one credential of a session. Its `exp` never passes
 * the session's absolute end nor a scheduled deactivation.
 */
export async function issueRpcToken(
  services: Services,
  credentialId: string,
  session: Session,
  user: User,
): Promise<IssuedCredential & { expiresAtMs: number; claimsUser: Record<string, unknown> }> {
  const data = sessionData(session);
  const now = services.clock.now();
  let expiresAtMs = Math.min(now + services.config.bearerTtlSeconds * 1000, session.expiresAt);
  if (user.deactivatedAt !== null) expiresAtMs = Math.min(expiresAtMs, user.deactivatedAt);
  // JWT times are whole seconds; round down so `expiresAt` equals `exp` exactly.
  expiresAtMs = Math.floor(expiresAtMs / 1000) * 1000;
  let permissions: EffectivePermission[] | null = null;
  if (data.projection.permissions) permissions = await services.authz.effective(user.appId, user.id);
  const claimsUser = sessionUser(user, data.projection, permissions);
  const amr = sessionAmr(session);
  const value = await services.tokens.sign(
    RPC_KIND[data.transport],
    { user: claimsUser, sid: session.id, ...(amr ? { amr } : {}) },
    { audience: rpcAudience(services), subject: user.id, id: credentialId, expiresAtMs },
  );
  return { value, secretHash: null, expiresAtMs, claimsUser };
}

/** Loads the user behind a session for a refresh; deleted or deactivated users end the session. */
export async function userForRefresh(services: Services, session: Session): Promise<User> {
  const user = await services.repos.users.findById(session.appId, session.userId);
  if (!user) throw new LatchkeyError('user_not_found', 'User does not exist');
  if (user.deactivatedAt !== null && user.deactivatedAt <= services.clock.now()) {
    throw new LatchkeyError('user_deactivated', 'User is deactivated');
  }
  return user;
}
