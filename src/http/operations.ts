import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import type { Services } from '../services.js';
import { SECURITY } from './openapi/index.js';

const exact = { additionalProperties: false } as const;

const Readiness = Type.Object(
  {
    status: Type.Union([Type.Literal('ready'), Type.Literal('degraded'), Type.Literal('unavailable')], {
      description:
        '`degraded`: Redis is unreachable; the node still serves, with per-node counters and revocations from the database',
    }),
    checks: Type.Record(Type.String(), Type.Union([Type.Literal('ok'), Type.Literal('unavailable')]), {
      description: 'One entry per dependency (`storage`, and `redis` when configured)',
    }),
  },
  exact,
);

/** The public signing keys (Ed25519, `OKP`), as RFC 7517 puts them. */
const Jwks = Type.Object(
  {
    keys: Type.Array(
      Type.Object(
        {
          kty: Type.String(),
          crv: Type.Optional(Type.String()),
          x: Type.Optional(Type.String()),
          kid: Type.String(),
          alg: Type.Optional(Type.String()),
          use: Type.Optional(Type.String()),
        },
        exact,
      ),
    ),
  },
  exact,
);

const schemas = {
  healthz: {
    summary: 'Liveness: the process answers',
    tags: ['operations'],
    security: SECURITY.none,
    response: { 200: Type.Object({ status: Type.Literal('ok') }, exact) },
  },
  readyz: {
    summary: 'Readiness: storage is reachable (Redis is reported, but only degrades)',
    tags: ['operations'],
    security: SECURITY.none,
    response: {
      200: Type.Unsafe({ ...Readiness, description: 'Ready' }),
      503: Type.Unsafe({ ...Readiness, description: 'A dependency is unreachable' }),
    },
  },
  jwks: {
    summary: 'The public keys that verify the tokens this server signs',
    tags: ['operations'],
    security: SECURITY.none,
    response: { 200: Jwks },
  },
};

/** The routes every auth server has besides its dialects: health, readiness, the public keys. */
export function registerOperations(app: FastifyInstance, services: Services): void {
  app.get('/healthz', { schema: schemas.healthz }, async () => ({ status: 'ok' }));

  app.get('/readyz', { schema: schemas.readyz }, async (request, reply) => {
    const checks: Record<string, string> = {};
    try {
      await withTimeout(services.store.ping(), 2000);
      checks['storage'] = 'ok';
    } catch (err) {
      request.log.warn({ err }, 'readiness: storage unreachable');
      checks['storage'] = 'unavailable';
    }
    // Redis down degrades a node but must not take it out of the load balancer: every node
    // shares the same Redis, so failing readiness would take the whole service down with it.
    if (services.config.redisUrl) checks['redis'] = services.bus.healthy() ? 'ok' : 'unavailable';
    if (checks['storage'] !== 'ok') return reply.status(503).send({ status: 'unavailable', checks });
    return reply
      .status(200)
      .send({ status: checks['redis'] === 'unavailable' ? 'degraded' : 'ready', checks });
  });

  app.get('/.well-known/jwks.json', { schema: schemas.jwks }, async (_request, reply) => {
    // Public keys may be cached briefly; rotation keeps the old key published for far longer than this.
    reply.header('cache-control', 'public, max-age=300');
    return services.keys.jwks(services.clock.now());
  });
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms`)), ms);
    promise.then(
      (v) => {
        clearTimeout(timer);
        resolve(v);
      },
      (e: unknown) => {
        clearTimeout(timer);
        reject(e);
      },
    );
  });
}
