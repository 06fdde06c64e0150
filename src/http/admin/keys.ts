import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { keyOverlapMs, type Services } from '../../services.js';
import { AdminKey, errorResponses } from './schemas.js';

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

export function registerAdminKeys(app: FastifyInstance, services: Services): void {
  const list = () =>
    services.keys.status(services.clock.now()).map((k) => ({
      kid: k.kid,
      alg: k.alg,
      status: k.status,
      createdAt: iso(k.createdAt)!,
      retiredAt: iso(k.retiredAt),
      verifyUntil: iso(k.verifyUntil),
    }));

  app.get(
    '/keys',
    {
      schema: {
        summary: 'The signing keys and their status',
        response: { 200: Type.Object({ keys: Type.Array(AdminKey) }), ...errorResponses },
      },
    },
    async () => ({ keys: list() }),
  );

  app.post(
    '/keys/rotate',
    {
      schema: {
        summary: 'Add a signing key; older keys keep verifying until their tokens expire',
        response: { 201: Type.Object({ kid: Type.String(), keys: Type.Array(AdminKey) }), ...errorResponses },
      },
    },
    async (_request, reply) => {
      const kid = await services.keys.rotate(keyOverlapMs(services.config));
      services.tokens.clearCache();
      await services.keyWatch.announce();
      return reply.status(201).send({ kid, keys: list() });
    },
  );
}
