import type { FastifyRequest } from 'fastify';
import type { Config } from '../config/config.js';
import type { ClientInfo } from '../session/types.js';
import type { RequestContext } from '../shared/request-context.js';
import { dialectOf } from './observability.js';

/** The client address (X-Forwarded-For only when a trusted proxy is configured; Fastify decides) and user agent. */
export function clientInfo(request: FastifyRequest): ClientInfo {
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
    context = {
      requestId: request.id,
      ...clientInfo(request),
      dialect: dialectOf(request.url.split('?')[0] ?? '', config),
    };
    contexts.set(request, context);
  }
  return context;
}
