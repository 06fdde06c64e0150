import type { FastifyRequest } from 'fastify';

declare module 'fastify' {
  interface FastifyContextConfig {
    /**
     * A path parameter of this route is a credential (Feathers' `DELETE /authentication/<accessToken>`):
     * the request log names the route template instead of the path.
     */
    secretPath?: boolean;
  }
}

// Three base64url runs joined by dots: the shape of every JWT Latchkey signs.
const JWT_LIKE = /[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}/g;

/**
 * The path the request log may show: never its query string, nor a credential in the path.
 * `route` is `request.routeOptions`, which Fastify builds anew on every read: the caller reads it once.
 */
export function loggedPath(
  request: FastifyRequest,
  route: Pick<FastifyRequest['routeOptions'], 'url' | 'config'> = request.routeOptions,
): string {
  if (route.config?.secretPath) return route.url ?? '';
  const query = request.url.indexOf('?');
  const path = query === -1 ? request.url : request.url.slice(0, query);
  // A path that matched no route may still carry a token (`DELETE /authentication/<jwt>/`).
  return route.url === undefined ? path.replace(JWT_LIKE, '[redacted]') : path;
}
