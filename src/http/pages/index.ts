import type { FastifyInstance } from 'fastify';
import type { Services } from '../../services.js';
import { registerMfaApi, registerMfaPage } from './mfa.js';

/** Latchkey's hosted pages (HTML) and their API twins, outside every dialect's prefix. */
export async function registerPages(app: FastifyInstance, services: Services): Promise<void> {
  await app.register((scope) => registerMfaPage(scope, services));
  await app.register((scope) => registerMfaApi(scope, services));
}
