import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Services } from '../../../services.js';
import { isLatchkeyError, LatchkeyError } from '../../../shared/errors.js';
import type { RequestContext } from '../../../shared/request-context.js';
import type { TokenKind } from '../../../tokens/kinds.js';
import { contextOf } from '../../client.js';
import { cookiesOf } from '../../cookies.js';
import { setSessionCookie } from './cookie.js';
import { issueRpcToken, RPC_KIND, rpcAudience, userForRefresh } from './tokens.js';

export interface Principal {
  userId: string;
  appId: string;
  sessionId: string;
  credentialId: string;
  via: 'bearer' | 'cookie';
}

interface Presented {
  token: string;
  via: 'bearer' | 'cookie';
}

/** Where the caller's credential is: the cookie wins over the Authorization header, as in the reference. */
export function presentedCredential(request: FastifyRequest, cookieName: string): Presented | null {
  const fromCookie = cookiesOf(request)[cookieName];
  if (fromCookie) return { token: fromCookie, via: 'cookie' };
  const header = request.headers.authorization;
  if (!header) return null;
  const space = header.indexOf(' ');
  const scheme = (space === -1 ? header : header.slice(0, space)).toLowerCase();
  const rest = space === -1 ? '' : header.slice(space + 1).trim();
  if (scheme === 'bearer' && rest) return { token: rest, via: 'bearer' };
  if (scheme === 'cookie' && rest) {
    // The seed's literal `Authorization: Cookie <cookie>`: either the bare value or `name=value` pairs.
    if (!rest.includes('=')) return { token: rest, via: 'cookie' };
    for (const pair of rest.split(';')) {
      const eq = pair.indexOf('=');
      if (eq <= 0 || pair.slice(0, eq).trim() !== cookieName) continue;
      const token = safeDecode(pair.slice(eq + 1).trim());
      // An empty value is no cookie, exactly as with the Cookie header.
      if (token) return { token, via: 'cookie' };
    }
  }
  throw new LatchkeyError('unauthenticated', 'Access denied; invalid or missing credentials');
}

/** Percent-decodes a cookie value; a malformed escape leaves it as is (it then fails verification, not the server). */
function safeDecode(value: string): string {
  try {
    return decodeURIComponent(value);
  } catch {
    return value;
  }
}

const ACCEPTED: Record<Presented['via'], TokenKind[]> = {
  // The spa dialect's access tokens are issued for the same app and accepted as Bearer too.
  bearer: [RPC_KIND.token, 'spa-access'],
  cookie: [RPC_KIND.cookie],
};

/**
 * Authenticates an rpc request: signature, kind, issuer, audience and expiry of the
 * token, then "is its session revoked?" from memory. An expired session cookie is
 * renewed transparently (rotated) while its session lives, when auto-renew is on.
 */
export async function authenticate(
  services: Services,
  request: FastifyRequest,
  reply: FastifyReply,
): Promise<Principal> {
  const presented = presentedCredential(request, services.config.cookie.name);
  if (!presented) throw denied();
  const audience = rpcAudience(services);
  let claims: Record<string, unknown>;
  try {
    claims = (await services.tokens.verify(presented.token, ACCEPTED[presented.via], { audience })).claims;
  } catch (err) {
    if (
      isLatchkeyError(err) &&
      err.code === 'token_expired' &&
      presented.via === 'cookie' &&
      services.config.cookie.autoRenew
    ) {
      return renewCookie(services, presented.token, reply, contextOf(request, services.config));
    }
    if (isLatchkeyError(err) && err.code === 'token_expired') throw err;
    throw denied();
  }
  return livePrincipal(services, claims, presented.via);
}

/**
 * authenticate's answer without a promise, when the token is one this process has
 * already verified (or signed) and it is valid: the token check's common case.
 * undefined whenever anything else applies (not cached, expired, refused): the caller
 * then runs authenticate, which decides and answers exactly as always.
 */
export function authenticateCached(services: Services, request: FastifyRequest): Principal | undefined {
  let presented: Presented | null;
  let claims: Record<string, unknown> | undefined;
  try {
    presented = presentedCredential(request, services.config.cookie.name);
    if (!presented) return undefined;
    claims = services.tokens.verifyCached(presented.token, ACCEPTED[presented.via], {
      audience: rpcAudience(services),
    })?.claims;
  } catch {
    return undefined;
  }
  if (!claims) return undefined;
  return livePrincipal(services, claims, presented.via);
}

/** The caller behind verified claims, unless their session has ended. */
function livePrincipal(
  services: Services,
  claims: Record<string, unknown>,
  via: Presented['via'],
): Principal {
  // The audience check already bound the token to this dialect's app.
  const principal = toPrincipal(claims, via, services.defaultApp.id);
  if (!principal) throw denied();
  if (services.sessions.isRevoked(principal.sessionId)) throw denied();
  return principal;
}

function toPrincipal(
  claims: Record<string, unknown>,
  via: Presented['via'],
  appId: string,
): Principal | null {
  const sid = claims['sid'];
  const jti = claims['jti'];
  const sub = claims['sub'];
  if (typeof sid !== 'string' || typeof jti !== 'string' || typeof sub !== 'string') return null;
  return { userId: sub, appId, sessionId: sid, credentialId: jti, via };
}

async function renewCookie(
  services: Services,
  token: string,
  reply: FastifyReply,
  context: RequestContext,
): Promise<Principal> {
  const verified = await services.tokens
    .verify(token, [RPC_KIND.cookie], {
      audience: rpcAudience(services),
      acceptExpiredForMs: services.config.sessionTtlSeconds * 1000,
    })
    .catch(() => {
      throw denied();
    });
  const jti = verified.claims.jti;
  if (typeof jti !== 'string') throw denied();
  let user: Awaited<ReturnType<typeof userForRefresh>> | null = null;
  const outcome = await services.sessions
    .refresh(
      jti,
      undefined,
      async (id, session) => {
        user ??= await userForRefresh(services, session);
        return issueRpcToken(services, id, session, user);
      },
      {
        beforeRotate: async (session) => {
          user = await userForRefresh(services, session);
        },
        context,
      },
    )
    .catch((err: unknown) => {
      if (isLatchkeyError(err) && err.code !== 'overloaded' && err.code !== 'storage_unavailable')
        throw denied();
      throw err;
    });
  setSessionCookie(services, reply, outcome.value, outcome.session.expiresAt);
  const renewed = await services.tokens.verify(outcome.value, [RPC_KIND.cookie], {
    audience: rpcAudience(services),
  });
  const principal = toPrincipal(renewed.claims, 'cookie', services.defaultApp.id);
  if (!principal) throw denied();
  return principal;
}

export function denied(): LatchkeyError {
  return new LatchkeyError('unauthenticated', 'Access denied; invalid or missing credentials');
}
