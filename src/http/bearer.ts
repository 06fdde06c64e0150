import type { FastifyRequest } from 'fastify';
import type { Services } from '../services.js';
import { LatchkeyError } from '../shared/errors.js';
import type { TokenKind } from '../tokens/kinds.js';

export interface BearerPrincipal {
  userId: string;
  appId: string;
  sessionId: string;
  kind: TokenKind;
}

/** The token of `Authorization: Bearer <token>`, or null. */
export function bearerToken(request: FastifyRequest): string | null {
  const header = request.headers.authorization;
  if (!header) return null;
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
  return match ? match[1]! : null;
}

/**
 * Verifies a bearer token of one of `kinds`, issued for `audience`, whose session is
 * not revoked. Any failure is the same `unauthenticated`, so the answer says nothing
 * about why (expired, forged, revoked).
 */
export async function authenticateBearer(
  services: Services,
  request: FastifyRequest,
  kinds: readonly TokenKind[],
  audience: string,
  appId: string,
): Promise<BearerPrincipal> {
  const token = bearerToken(request);
  if (!token) throw unauthenticated();
  let verified: Awaited<ReturnType<Services['tokens']['verify']>>;
  try {
    verified = await services.tokens.verify(token, kinds, { audience });
  } catch {
    throw unauthenticated();
  }
  const { sid, sub } = verified.claims;
  if (typeof sid !== 'string' || typeof sub !== 'string') throw unauthenticated();
  if (services.sessions.isRevoked(sid)) throw unauthenticated();
  return { userId: sub, appId, sessionId: sid, kind: verified.kind };
}

function unauthenticated(): LatchkeyError {
  return new LatchkeyError('unauthenticated', 'A valid bearer token is required');
}
