import type { FastifyInstance } from 'fastify';
import type { Services } from '../../services.js';
import { ADMIN_PERMISSION, authenticateAdmin } from './auth.js';
import { registerAdminKeys } from './keys.js';
import { registerAdminUsers } from './users.js';

/**
 * The admin API: JSON over REST under /admin, for operators and their tooling.
 * Every route needs a bearer token of the default app whose user holds
 * `latchkey.admin` (the admin role has it), checked on every call.
 */
export async function registerAdmin(app: FastifyInstance, services: Services): Promise<void> {
  app.addHook('onRoute', (route) => {
    route.schema = {
      ...route.schema,
      tags: ['admin'],
      security: [{ BearerAuth: [] }],
      description:
        `${route.schema?.description ?? ''}Requires the \`${ADMIN_PERMISSION}\` permission.`.trim(),
    };
  });
  app.addHook('preValidation', async (request) => {
    await authenticateAdmin(services, request);
  });
  registerAdminUsers(app, services);
  registerAdminKeys(app, services);
}
