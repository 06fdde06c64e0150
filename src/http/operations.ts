import type { FastifyInstance } from 'fastify';
import type { Services } from '../services.js';

/** The routes every auth server has besides its dialects: health, readiness, the public keys. */
export function registerOperations(app: FastifyInstance, services: Services): void {
  app.get('/healthz', async () => ({ status: 'ok' }));

  app.get('/readyz', async (request, reply) => {
    const checks: Record<string, string> = {};
    try {
      await withTimeout(services.store.ping(), 2000);
      checks['storage'] = 'ok';
    } catch (err) {
      request.log.warn({ err }, 'readiness: storage unreachable');
      checks['storage'] = 'unavailable';
    }
    const ready = Object.values(checks).every((v) => v === 'ok');
    return reply.status(ready ? 200 : 503).send({ status: ready ? 'ready' : 'unavailable', checks });
  });

  app.get('/.well-known/jwks.json', async (_request, reply) => {
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
