import type { FastifyRequest } from 'fastify';
import type { Config } from '../config/config.js';
import type { ClientInfo } from '../session/types.js';
import type { RequestContext } from '../shared/request-context.js';
import { DEVICE_COOKIE, DEVICE_HEADER } from '../throttle/index.js';
import { cookiesOf } from './cookies.js';
import { dialectOf } from './observability.js';

/**
 * The client address (X-Forwarded-For only when a trusted proxy is configured; Fastify
 * decides), user agent, and the device token it presents: the `Latchkey-Device` header
 * (API clients) or else the http-only cookie set at its last sign-in (browsers).
 */
export function clientInfo(request: FastifyRequest): ClientInfo {
  const header = request.headers[DEVICE_HEADER];
  const device = typeof header === 'string' ? header : (cookiesOf(request)[DEVICE_COOKIE] ?? null);
  return { ...whereFrom(request), device };
}

/** The client address and user agent alone: what an event records (no cookie parsed for it). */
function whereFrom(request: FastifyRequest): { ip: string | null; userAgent: string | null } {
  const ua = request.headers['user-agent'];
  return { ip: request.ip ?? null, userAgent: typeof ua === 'string' ? ua.slice(0, 512) : null };
}

// Beside the requests rather than on them: a property set on some requests only would
// give Fastify's request objects (one shape, for speed) a second one on every path.
const contexts = new WeakMap<FastifyRequest, RequestContext>();

/**
 * The context of a request for the events of the core methods it calls (audit log,
 * metrics). Handlers ask for it only where they call such a method, so a request that
 * emits nothing (the token check) never builds one; asked twice, it is built once.
 */
export function contextOf(request: FastifyRequest, config: Config): RequestContext {
  let context = contexts.get(request);
  if (!context) {
    const { ip, userAgent } = whereFrom(request);
    context = {
      requestId: request.id,
      ip,
      userAgent,
      dialect: dialectOf(request.url.split('?')[0] ?? '', config),
    };
    contexts.set(request, context);
  }
  return context;
}
