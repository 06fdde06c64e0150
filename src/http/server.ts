import { randomUUID } from 'node:crypto';
import cookie from '@fastify/cookie';
import Fastify, {
  type FastifyError,
  type FastifyInstance,
  type FastifyReply,
  type FastifyRequest,
  type FastifyServerOptions,
  LogController,
} from 'fastify';
import type { Services } from '../services.js';
import { isLatchkeyError } from '../shared/errors.js';
import { registerAdmin } from './admin/index.js';
import { commonHeaders } from './common-headers.js';
import { APPS_PREFIX, registerApps } from './dialects/apps/index.js';
import { registerFeathers } from './dialects/feathers/index.js';
import { registerRpc } from './dialects/rpc/index.js';
import { registerRpcPages } from './dialects/rpc/pages.js';
import { registerSpa } from './dialects/spa/index.js';
import { HTTP_STATUS, OPERATOR_ALERTS } from './errors.js';
import { stdoutDestination } from './log-destination.js';
import { redactedPath } from './log-path.js';
import { registerObservability } from './observability.js';
import { registerOpenApi } from './openapi/index.js';
import { registerOperations } from './operations.js';
import { registerPages } from './pages/index.js';
import { lazyChildLogger } from './request-logger.js';
import { plainSchemaError } from './validation-wording.js';

export interface BuildOptions {
  /** pino options or false; tests pass a stream to capture logs. */
  logger?: FastifyServerOptions['logger'];
}

const REQUEST_ID = /^[A-Za-z0-9_.:-]{1,64}$/;

/** Builds the HTTP face of Latchkey; it never listens (tests use inject, main.ts listens). */
export async function buildApp(services: Services, options: BuildOptions = {}): Promise<FastifyInstance> {
  const { config } = services;
  const app = Fastify({
    logger: options.logger ?? {
      level: config.logLevel,
      redact: { paths: ['req.headers.authorization', 'req.headers.cookie'], remove: true },
      serializers: {
        // Paths only, tokens masked: query strings and misplaced JWTs must not reach the logs.
        req: (req) => ({ method: req.method, path: redactedPath(String(req.url)), remoteAddress: req.ip }),
        res: (res) => ({ statusCode: res.statusCode }),
      },
      stream: stdoutDestination(),
    },
    // One log line per request (below) instead of Fastify's two keeps the hot path cheap.
    logController: new LogController({ disableRequestLogging: true }),
    // Each request's child logger is made only when it logs more than its access line.
    childLoggerFactory: lazyChildLogger,
    genReqId: (req) => {
      const given = req.headers['x-request-id'];
      return typeof given === 'string' && REQUEST_ID.test(given) ? given : randomUUID();
    },
    trustProxy: config.trustProxy ?? false,
    bodyLimit: config.bodyLimitBytes,
    // Timeouts chosen, not inherited (docs/deploy.md, "Timeouts"). Fastify leaves the whole-request
    // timeout off, so a client that sends headers and then stops sending the body held its
    // connection (and a parser) for as long as it liked; Node answers 408 and closes once
    // requestTimeout has passed. Node looks for expired requests only every
    // connectionsCheckingInterval (30 s by default), so it looks every second instead.
    requestTimeout: config.http.requestTimeoutSeconds * 1000,
    keepAliveTimeout: config.http.keepAliveTimeoutSeconds * 1000,
    http: {
      headersTimeout: Math.min(config.http.headersTimeoutSeconds, config.http.requestTimeoutSeconds) * 1000,
      requestTimeout: config.http.requestTimeoutSeconds * 1000,
      connectionsCheckingInterval: 1000,
    },
    // A path parameter may be a whole JWT (Feathers' DELETE /authentication/<accessToken>); 100 by default.
    routerOptions: { maxParamLength: 16_384 },
    return503OnClosing: true,
    // Validation errors in plain words (each dialect wraps them in its own format), not Ajv's.
    schemaErrorFormatter: plainSchemaError,
    ajv: {
      // Bodies are validated as sent: no silent type coercion, no dropped unknown keys.
      customOptions: { coerceTypes: false, removeAdditional: false, useDefaults: true, allErrors: false },
    },
  });

  // An empty JSON body means "no arguments" (several rpc methods take none), not an error.
  // Otherwise Fastify's own parser (secure-json-parse): `__proto__` keys are dropped, and
  // it checks for them only when the text could hold one, so ordinary bodies parse at
  // plain JSON.parse speed.
  const parseJson = app.getDefaultJsonParser('remove', 'ignore');
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (request, body, done) => {
    if ((body as string).trim() === '') return done(null, undefined);
    const answer = (err: Error | null, value: unknown) => {
      if (!err) return done(null, value);
      const invalid = new Error('Body is not valid JSON') as Error & { statusCode: number };
      invalid.statusCode = 400;
      done(invalid, undefined);
    };
    // Settled first, answered after: Fastify calls this parser inside its own try, so the
    // rest of the request must not run inside the parser's callback.
    let settled: [Error | null, unknown] | null = null;
    let inside = true;
    parseJson(request, body as string, (err, value) => {
      if (inside) settled = [err, value];
      else answer(err, value);
    });
    inside = false;
    if (settled) answer(...(settled as [Error | null, unknown]));
  });

  // Cookies are parsed on first use (cookies.ts), not in a hook every request runs.
  await app.register(cookie, { hook: false });
  // Response schemas document and contract-test the answers; they do not shape them:
  // answers are serialised as the handlers built them, so a schema can never drop or coerce a field.
  app.setSerializerCompiler(() => (data) => JSON.stringify(data));
  // Before every route: the API description is generated from the route schemas.
  await registerOpenApi(app, services);

  // The hooks every request runs take callbacks, not async functions: on the token path
  // each promise and microtask hop they would add is measurable.
  registerObservability(app, services);
  app.addHook('onSend', commonHeaders);
  app.setErrorHandler(handleError);
  // Before any dialect's error handler: the domain errors an operator must hear about
  // (a store outage) are logged here once, whichever dialect answers them.
  app.addHook('onError', (request, _reply, err, done) => {
    const alert = isLatchkeyError(err) ? OPERATOR_ALERTS[err.code] : undefined;
    if (alert) request.log.error({ err: (err as { cause?: unknown }).cause ?? err }, alert);
    done();
  });
  app.setNotFoundHandler((request, reply) =>
    reply.status(404).send({
      statusCode: 404,
      error: 'Not Found',
      message: `Route ${request.method}:${request.url.split('?')[0]} not found`,
    }),
  );

  registerOperations(app, services);
  await app.register((scope) => registerAdmin(scope, services), { prefix: '/admin' });
  if (config.dialects.includes('rpc'))
    await app.register((scope) => registerRpc(scope, services), { prefix: config.rpc.prefix });
  // The pages the rpc dialect's mails link to (/verify-email, /reset-password, /accept-invitation), at the root.
  if (config.dialects.includes('rpc')) await app.register((scope) => registerRpcPages(scope, services));
  if (config.dialects.includes('feathers'))
    await app.register((scope) => registerFeathers(scope, services), {
      prefix: config.feathers.prefix ?? '',
    });
  if (config.dialects.includes('apps'))
    await app.register((scope) => registerApps(scope, services), { prefix: APPS_PREFIX });
  if (config.dialects.includes('spa'))
    await app.register((scope) => registerSpa(scope, services), { prefix: config.spa.prefix ?? '' });
  // Hosted pages (the MFA challenge of the spa sign-in): HTML, outside every dialect's prefix.
  await app.register((scope) => registerPages(scope, services));
  return app;
}

/** The default error answer (Boom-like `{statusCode, error, message}`), used outside the dialects and for HTTP-level errors inside them. */
export function handleError(
  err: FastifyError | Error,
  request: FastifyRequest,
  reply: FastifyReply,
): FastifyReply {
  if (isLatchkeyError(err)) {
    const status = HTTP_STATUS[err.code];
    if (err.details.retryAfterSeconds) reply.header('retry-after', String(err.details.retryAfterSeconds));
    return reply.status(status).send({ statusCode: status, error: httpReason(status), message: err.message });
  }
  const status = (err as { statusCode?: number }).statusCode;
  if (typeof status === 'number' && status >= 400 && status < 500) {
    return reply.status(status).send({ statusCode: status, error: httpReason(status), message: err.message });
  }
  request.log.error({ err }, 'unhandled error');
  return reply
    .status(500)
    .send({ statusCode: 500, error: 'Internal Server Error', message: 'An internal server error occurred' });
}

const REASONS: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  402: 'Payment Required',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  406: 'Not Acceptable',
  409: 'Conflict',
  413: 'Payload Too Large',
  415: 'Unsupported Media Type',
  429: 'Too Many Requests',
  503: 'Service Unavailable',
};

export function httpReason(status: number): string {
  return REASONS[status] ?? 'Bad Request';
}
