import type { FastifyRequest } from 'fastify';

declare module 'fastify' {
  interface FastifyContextConfig {
    /**
     * A path parameter of this route is, or may be, a credential (Feathers' `DELETE /authentication/<accessToken>`,
     * and the catch-alls beside it): the request log names the route template instead of the path.
     */
    secretPath?: boolean;
  }
}

// Three base64url runs joined by dots (or their percent-encoding): the shape of every JWT Latchkey signs.
const JWT_LIKE = /[A-Za-z0-9_-]{8,}(?:\.|%2[Ee])[A-Za-z0-9_-]{8,}(?:\.|%2[Ee])[A-Za-z0-9_-]{8,}/g;

/**
 * A URL as a log may show it: without its query string (one-time tokens travel there) and
 * with anything shaped like a JWT masked. Applied to every path, matched route or not: any
 * route with a path parameter can be sent a token by a client that puts it in the wrong place.
 */
export function redactedPath(url: string): string {
  const query = url.indexOf('?');
  const path = query === -1 ? url : url.slice(0, query);
  return path.replace(JWT_LIKE, '[redacted]');
}

/**
 * The path the request log may show: never its query string, nor a credential in the path.
 * `route` is `request.routeOptions`, which Fastify builds anew on every read: the caller reads it once.
 */
export function loggedPath(
  request: FastifyRequest,
  route: Pick<FastifyRequest['routeOptions'], 'url' | 'config'> = request.routeOptions,
): string {
  if (route.config?.secretPath) return route.url ?? '';
  return redactedPath(request.url);
}
