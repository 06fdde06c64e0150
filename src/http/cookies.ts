import type { FastifyRequest } from 'fastify';

/**
 * The request's cookies, parsed on first use. The cookie plugin runs with `hook: false`:
 * parsing every request's Cookie header in a hook cost each request (the bearer token
 * check too) a hook and a parse, where only the few routes that read a cookie need it.
 */
export function cookiesOf(request: FastifyRequest): Record<string, string | undefined> {
  if (request.cookies) return request.cookies;
  const header = request.headers.cookie;
  const parsed = header ? request.server.parseCookie(header) : {};
  request.cookies = parsed;
  return parsed;
}
