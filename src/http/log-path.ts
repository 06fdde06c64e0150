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

/** The path the request log may show: never its query string, nor a credential in the path. */
export function loggedPath(request: FastifyRequest): string {
  if (request.routeOptions.config?.secretPath) return request.routeOptions.url ?? '';
  const path = request.url.split('?')[0] ?? '';
  // A path that matched no route may still carry a token (`DELETE /authentication/<jwt>/`).
  return request.routeOptions.url === undefined ? path.replace(JWT_LIKE, '[redacted]') : path;
}
