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
import { commonHeaders } from '../src/http/common-headers.js';
import { requestRecorder } from '../src/http/observability.js';
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
app.addHook('onSend', commonHeaders);
app.addHook('onResponse', requestRecorder(new RequestMetrics()));
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
