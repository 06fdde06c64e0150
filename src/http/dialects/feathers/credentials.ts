import type { FastifyRequest } from 'fastify';

export type TokenSource = 'body' | 'authorization' | 'authorisation' | 'query';

/**
 * The token of an `Authorization` (or `Authorisation`) value, parsed as Feathers does:
 * `Bearer <token>` or `JWT <token>` (scheme case-insensitive), or a bare token without
 * any scheme. Another scheme (`Basic …`) is not ours and counts as no token.
 */
export function tokenFromHeader(value: string | string[] | undefined): string | null {
  if (typeof value !== 'string') return null;
  const trimmed = value.trim();
  if (trimmed === '') return null;
  const space = trimmed.search(/\s/);
  if (space === -1) return trimmed;
  const scheme = trimmed.slice(0, space);
  const rest = trimmed.slice(space + 1).trim();
  if (!/^(bearer|jwt)$/i.test(scheme) || rest === '') return null;
  return rest;
}

/**
 * Where a request carries its token, in this order: `body.token`, the `Authorization`
 * header, the `Authorisation` header (the Edumaps documentation's spelling),
 * `query.token`. The body winning over the header is feathers-authentication 0.7's
 * order, kept so that a client passing a token explicitly gets it used; empty values
 * count as absent, as they did there.
 */
export function presentedToken(request: FastifyRequest): { token: string; source: TokenSource } | null {
  const body = request.body as { token?: unknown } | null | undefined;
  if (body && typeof body === 'object' && typeof body.token === 'string' && body.token !== '') {
    return { token: body.token, source: 'body' };
  }
  const authorization = tokenFromHeader(request.headers.authorization);
  if (authorization) return { token: authorization, source: 'authorization' };
  const authorisation = tokenFromHeader(request.headers['authorisation']);
  if (authorisation) return { token: authorisation, source: 'authorisation' };
  const query = request.query as { token?: unknown } | undefined;
  if (query && typeof query.token === 'string' && query.token !== '') {
    return { token: query.token, source: 'query' };
  }
  return null;
}

/** The header token only (DELETE /authentication, like Feathers' `remove`). */
export function headerToken(request: FastifyRequest): string | null {
  return tokenFromHeader(request.headers.authorization) ?? tokenFromHeader(request.headers['authorisation']);
}
