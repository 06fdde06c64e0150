import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyInstance, FastifyReply, onResponseHookHandler } from 'fastify';
import type { Config } from '../config/config.js';
import type { RequestMetrics } from '../ops/request-metrics.js';
import type { Services } from '../services.js';
import { writeAccessLine } from './access-log.js';
import { loggedPath } from './log-path.js';
import { httpErrors } from './openapi/components.js';
import { SECURITY } from './openapi/index.js';

/** Which face of Latchkey a request is for, by path; a small fixed set keeps metric labels bounded. */
export function dialectOf(path: string, config: Config): string {
  if (path.startsWith(`${config.rpc.prefix}/`) && !path.startsWith('/api/v2/')) return 'rpc';
  if (path.startsWith('/api/v2/apps/')) return 'apps';
  if (path.startsWith('/admin/')) return 'admin';
  if (/^\/(auth\/|authentication|signup|activate)/.test(path)) return 'feathers';
  if (/^\/(login|refresh|logout)/.test(path)) return 'spa';
  if (/^\/(mfa|verify-email)/.test(path)) return 'pages';
  return 'ops';
}

/** One hook for the access-log line and the request metrics: every request runs it. */
export function requestRecorder(metrics: RequestMetrics): onResponseHookHandler {
  return (request, reply, done) => {
    // Fastify builds routeOptions anew on each read: once here.
    const route = request.routeOptions;
    const status = reply.statusCode;
    const ms = reply.elapsedTime;
    // The route pattern, not the URL: ids and app names must not become label values.
    metrics.record(route.url ?? 'unmatched', request.method, status, ms / 1000);
    writeAccessLine(request.log, {
      method: request.method,
      path: loggedPath(request, route),
      status,
      ms: Math.round(ms),
    });
    done();
  };
}

/**
 * Writes every request's access-log line and records it in the metrics. The request
 * context of the audit log is not opened here: the handlers that emit events build it
 * (contextOf) and pass it on.
 */
export function registerObservability(app: FastifyInstance, services: Services): void {
  app.addHook('onResponse', requestRecorder(services.metrics.requests));

  const token = services.config.metrics.token;
  app.get(
    '/metrics',
    {
      schema: {
        summary: 'Prometheus metrics of this process',
        operationId: 'metrics',
        description: token
          ? 'Needs `Authorization: Bearer <metrics.token>`.'
          : 'Open: `metrics.token` (LATCHKEY_METRICS_TOKEN) is not set.',
        tags: ['operations'],
        security: token ? [{ BearerAuth: [] }] : SECURITY.none,
        response: {
          200: {
            description: 'Prometheus text exposition format',
            content: { 'text/plain': { schema: { type: 'string' } } },
          },
          ...(token ? httpErrors(401) : {}),
        },
      },
    },
    async (request, reply) => {
      if (token && !bearerMatches(request.headers.authorization, token)) {
        reply.header('www-authenticate', 'Bearer realm="metrics"');
        return (reply as FastifyReply).status(401).send({
          statusCode: 401,
          error: 'Unauthorized',
          message: 'GET /metrics needs Authorization: Bearer <metrics token>',
        });
      }
      reply.header('content-type', services.metrics.registry.contentType);
      return services.metrics.registry.metrics();
    },
  );
}

/** Compares digests, so the time taken says nothing about how much of the token was right. */
function bearerMatches(header: string | undefined, token: string): boolean {
  const given = /^Bearer (.+)$/i.exec(header ?? '')?.[1] ?? '';
  const digest = (value: string) => createHash('sha256').update(value).digest();
  return timingSafeEqual(digest(given), digest(token));
}
