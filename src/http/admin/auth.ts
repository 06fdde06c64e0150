import type { FastifyRequest } from 'fastify';
import { appQName } from '../../identity/types.js';
import type { Services } from '../../services.js';
import { authenticateBearer, type BearerPrincipal } from '../bearer.js';

/** The permission every admin route requires, read fresh from storage on each call. */
export const ADMIN_PERMISSION = 'latchkey.admin';

/** Access tokens of the default app that the admin API accepts. */
export const ADMIN_TOKEN_KINDS = ['rpc-token', 'spa-access'] as const;

export async function authenticateAdmin(
  services: Services,
  request: FastifyRequest,
): Promise<BearerPrincipal> {
  const app = services.defaultApp;
  const principal = await authenticateBearer(services, request, ADMIN_TOKEN_KINDS, appQName(app), app.id);
  await services.authz.require(app.id, principal.userId, ADMIN_PERMISSION);
  return principal;
}
