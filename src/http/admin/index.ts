import type { FastifyInstance } from 'fastify';
import type { Services } from '../../services.js';
import type { BearerPrincipal } from '../bearer.js';
import { contextOf } from '../client.js';
import { registerAdminAliases } from './aliases.js';
import { registerAdminApps } from './apps.js';
import { registerAdminAudit } from './audit.js';
import { ADMIN_PERMISSION, authenticateAdmin } from './auth.js';
import { registerAdminIntegrations } from './integrations.js';
import { registerAdminKeys } from './keys.js';
import { registerAdminLoginLinks } from './login-links.js';
import { registerAdminUsers } from './users.js';

declare module 'fastify' {
  interface FastifyRequest {
    adminPrincipal?: BearerPrincipal;
  }
}

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
    request.adminPrincipal = await authenticateAdmin(services, request);
  });
  // Every change made through the admin API is a security event, recorded before the
  // answer leaves so that whoever reads the log next sees it.
  app.addHook('onSend', async (request, reply, payload) => {
    if (request.method !== 'GET' && request.adminPrincipal && reply.statusCode < 400) {
      await services.audit.record(
        'admin.action',
        {
          appId: services.defaultApp.id,
          userId: request.adminPrincipal.userId,
          details: {
            method: request.method,
            route: request.routeOptions.url ?? '',
            status: reply.statusCode,
          },
        },
        contextOf(request, services.config),
      );
    }
    return payload;
  });
  registerAdminUsers(app, services);
  registerAdminIntegrations(app, services);
  registerAdminKeys(app, services);
  registerAdminAliases(app, services);
  registerAdminLoginLinks(app, services);
  registerAdminApps(app, services);
  registerAdminAudit(app, services);
}
