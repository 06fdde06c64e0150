/**
 * A second reference beside the token check's limit: a Fastify server with Latchkey's
 * request set-up and none of its work. Every request gets what every Latchkey request
 * gets — a pino logger with a child per request and the same access-log line, a random
 * request id, the cookie plugin, the common response headers, the request metrics, a
 * JSON body parsed and validated against a schema with an async preValidation hook and
 * an async handler — and then answers a copy of the same JSON body: no token, no
 * session, no user lookup. It shows what the request machinery alone keeps of the
 * bare node:http limit, so the token check's ratio can be split into framework,
 * set-up and Latchkey's own work. PORT and BENCH_BODY come from the environment.
 */
import { randomUUID } from 'node:crypto';
import cookie from '@fastify/cookie';
import Fastify from 'fastify';
import { writeAccessLine } from '../src/http/access-log.js';
import { loggedPath } from '../src/http/log-path.js';
import { RequestMetrics } from '../src/ops/request-metrics.js';

const port = Number(process.env['PORT']);
const body = JSON.parse(process.env['BENCH_BODY'] ?? '{"ok":true}') as Record<string, unknown>;

const app = Fastify({
  logger: { level: 'info' },
  disableRequestLogging: true,
  genReqId: () => randomUUID(),
  keepAliveTimeout: 72_000,
});
await app.register(cookie);
app.setSerializerCompiler(() => (data) => JSON.stringify(data));
const metrics = new RequestMetrics();
app.addHook('onSend', (request, reply, payload, done) => {
  reply.header('x-request-id', request.id);
  if (!reply.hasHeader('cache-control')) reply.header('cache-control', 'no-store');
  reply.header('x-content-type-options', 'nosniff');
  reply.header('referrer-policy', 'no-referrer');
  reply.header('x-frame-options', 'DENY');
  done(null, payload);
});
app.addHook('onResponse', (request, reply, done) => {
  const route = request.routeOptions;
  metrics.record(route.url ?? 'unmatched', request.method, reply.statusCode, reply.elapsedTime / 1000);
  writeAccessLine(request.log, {
    method: request.method,
    path: loggedPath(request, route),
    status: reply.statusCode,
    ms: Math.round(reply.elapsedTime),
  });
  done();
});
app.get('/', async () => ({ ok: true }));
app.post(
  '/api/user.info',
  {
    schema: { body: { type: 'object', properties: { id: { type: 'string' } }, additionalProperties: false } },
    attachValidation: true,
    preValidation: async (request) => {
      request.body ??= {};
    },
  },
  async (_request, reply) => reply.send({ ...body }),
);
await app.listen({ port, host: '127.0.0.1' });
process.once('SIGTERM', () => void app.close().then(() => process.exit(0)));
