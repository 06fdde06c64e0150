import type { FastifyInstance, onResponseHookHandler } from 'fastify';
import type { Config } from '../config/config.js';
import type { RequestMetrics } from '../ops/request-metrics.js';
import type { Services } from '../services.js';
import { writeAccessLine } from './access-log.js';
import { loggedPath } from './log-path.js';

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

  app.get(
    '/metrics',
    {
      schema: {
        summary: 'Prometheus metrics of this process',
        operationId: 'metrics',
        tags: ['operations'],
        security: [],
        response: {
          200: {
            description: 'Prometheus text exposition format',
            content: { 'text/plain': { schema: { type: 'string' } } },
          },
        },
      },
    },
    async (_request, reply) => {
      reply.header('content-type', services.metrics.registry.contentType);
      return services.metrics.registry.metrics();
    },
  );
}
