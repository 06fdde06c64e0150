import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import type { Integration } from '../../identity/integrations.js';
import type { Services } from '../../services.js';
import { AppQuery, errorResponses } from './schemas.js';
import { appFromQuery } from './users.js';

const AdminIntegration = Type.Object(
  {
    id: Type.String(),
    name: Type.String(),
    createdAt: Type.String({ format: 'date-time' }),
  },
  { additionalProperties: false },
);

const UserParams = Type.Object({ id: Type.String({ pattern: '^[0-9a-f]{24}$' }) });
const IntegrationParams = Type.Object({
  id: Type.String({ pattern: '^[0-9a-f]{24}$' }),
  name: Type.String({
    pattern: '^[a-z0-9][a-z0-9_.-]{0,63}$',
    description: "1 to 64 lowercase letters, digits, '_', '-' or '.'",
  }),
});

const present = (i: Integration) => ({
  id: i.id,
  name: i.name,
  createdAt: new Date(i.createdAt).toISOString(),
});

/**
 * A user's integrations: the services enabled for them, which the feathers dialect
 * lists in the user's `integrations`. Enabling is idempotent (201 the first time, 200 after).
 */
export function registerAdminIntegrations(app: FastifyInstance, services: Services): void {
  app.get(
    '/users/:id/integrations',
    {
      schema: {
        summary: "List a user's integrations",
        params: UserParams,
        querystring: AppQuery,
        response: {
          200: Type.Object({ integrations: Type.Array(AdminIntegration) }, { additionalProperties: false }),
          ...errorResponses,
        },
      },
    },
    async (request) => {
      const target = await appFromQuery(services, (request.query as { app?: string }).app);
      const { id } = request.params as { id: string };
      return { integrations: (await services.integrations.list(target.id, id)).map(present) };
    },
  );

  const One = Type.Object({ integration: AdminIntegration }, { additionalProperties: false });
  app.put(
    '/users/:id/integrations/:name',
    {
      schema: {
        summary: 'Enable an integration for a user',
        params: IntegrationParams,
        querystring: AppQuery,
        response: { 200: One, 201: One, ...errorResponses },
      },
    },
    async (request, reply) => {
      const target = await appFromQuery(services, (request.query as { app?: string }).app);
      const { id, name } = request.params as { id: string; name: string };
      const { integration, created } = await services.integrations.enable(target.id, id, name);
      return reply.status(created ? 201 : 200).send({ integration: present(integration) });
    },
  );

  app.delete(
    '/users/:id/integrations/:name',
    {
      schema: {
        summary: 'Disable an integration of a user',
        params: IntegrationParams,
        querystring: AppQuery,
        response: { 204: Type.Null(), ...errorResponses },
      },
    },
    async (request, reply) => {
      const target = await appFromQuery(services, (request.query as { app?: string }).app);
      const { id, name } = request.params as { id: string; name: string };
      await services.integrations.disable(target.id, id, name);
      return reply.status(204).send();
    },
  );
}
