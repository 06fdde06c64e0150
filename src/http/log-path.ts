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

/** The path the request log may show: never its query string, nor a credential in the path. */
export function loggedPath(request: FastifyRequest): string {
  if (request.routeOptions.config?.secretPath) return request.routeOptions.url ?? '';
  return request.url.split('?')[0] ?? '';
}
