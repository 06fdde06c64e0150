import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { ADMIN_ROLE } from '../../identity/system-permissions.js';
import { type App, appQName, type User } from '../../identity/types.js';
import type { Services } from '../../services.js';
import { LatchkeyError } from '../../shared/errors.js';
import { contextOf } from '../client.js';
import { AdminUser, AppQuery, errorResponses } from './schemas.js';

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

export function presentAdminUser(user: User, app: App) {
  return {
    id: user.id,
    app: appQName(app),
    username: user.username,
    fullName: user.fullName,
    emails: user.emails,
    isActive: user.isActive,
    deactivatedAt: iso(user.deactivatedAt),
    createdAt: iso(user.createdAt)!,
    updatedAt: iso(user.updatedAt)!,
  };
}

/** Resolves the `app` query parameter (default: the default app). */
export async function appFromQuery(services: Services, qname: string | undefined): Promise<App> {
  if (!qname) return services.defaultApp;
  const app = await services.apps.find(qname);
  if (!app) throw new LatchkeyError('not_found', `app ${qname} does not exist`);
  return app;
}

const IdParams = Type.Object({ id: Type.String({ pattern: '^[0-9a-f]{24}$' }) });

export function registerAdminUsers(app: FastifyInstance, services: Services): void {
  app.get(
    '/users',
    {
      schema: {
        summary: 'List the users of an app',
        querystring: Type.Object(
          {
            ...AppQuery.properties,
            // Query strings are text and bodies are never coerced, so the number is parsed here.
            limit: Type.Optional(
              Type.String({
                pattern: '^(500|[1-4][0-9]{2}|[1-9][0-9]?)$',
                description: '1 to 500 (default 100)',
              }),
            ),
            after: Type.Optional(
              Type.String({ pattern: '^[0-9a-f]{24}$', description: 'Return users after this id' }),
            ),
          },
          { additionalProperties: false },
        ),
        response: {
          200: Type.Object({ users: Type.Array(AdminUser), next: Type.Optional(Type.String()) }),
          ...errorResponses,
        },
      },
    },
    async (request) => {
      const query = request.query as { app?: string; limit?: string; after?: string };
      const target = await appFromQuery(services, query.app);
      const limit = query.limit ? Number(query.limit) : 100;
      const users = await services.users.list(target.id, {
        limit: limit + 1,
        ...(query.after ? { afterId: query.after } : {}),
      });
      const page = users.slice(0, limit);
      return {
        users: page.map((u) => presentAdminUser(u, target)),
        ...(users.length > limit ? { next: page.at(-1)!.id } : {}),
      };
    },
  );

  app.post(
    '/users',
    {
      schema: {
        summary: 'Create a user in an app',
        querystring: AppQuery,
        body: Type.Object(
          {
            username: Type.Optional(Type.String({ minLength: 2, maxLength: 30 })),
            email: Type.String({ minLength: 3, maxLength: 254 }),
            password: Type.String({ minLength: 8, maxLength: 1024 }),
            fullName: Type.Optional(Type.String({ minLength: 1, maxLength: 100 })),
            superuser: Type.Optional(Type.Boolean({ description: 'Grant the global admin role' })),
          },
          { additionalProperties: false },
        ),
        response: { 201: Type.Object({ user: AdminUser }), ...errorResponses },
      },
    },
    async (request, reply) => {
      const target = await appFromQuery(services, (request.query as { app?: string }).app);
      const body = request.body as {
        username?: string;
        email: string;
        password: string;
        fullName?: string;
        superuser?: boolean;
      };
      const user = await services.users.create(target.id, {
        username: body.username ?? null,
        password: body.password,
        fullName: body.fullName ?? null,
        emails: [{ address: body.email, isPrimary: true, isVerified: true }],
      });
      if (body.superuser)
        await services.repos.permissions.grantRoleByName(
          target.id,
          user.id,
          ADMIN_ROLE,
          '',
          services.clock.now(),
        );
      return reply.status(201).send({ user: presentAdminUser(user, target) });
    },
  );

  for (const action of ['deactivate', 'activate'] as const) {
    app.post(
      `/users/:id/${action}`,
      {
        schema: {
          summary: action === 'deactivate' ? 'Deactivate a user and end their sessions' : 'Activate a user',
          params: IdParams,
          querystring: AppQuery,
          response: { 200: Type.Object({ user: AdminUser }), ...errorResponses },
        },
      },
      async (request) => {
        const target = await appFromQuery(services, (request.query as { app?: string }).app);
        const { id } = request.params as { id: string };
        const user =
          action === 'deactivate'
            ? await services.users.deactivate(target.id, id, { context: contextOf(request, services.config) })
            : await services.users.activate(target.id, id);
        return { user: presentAdminUser(user, target) };
      },
    );
  }

  app.delete(
    '/users/:id',
    {
      schema: {
        summary: 'Delete a user and end their sessions',
        params: IdParams,
        querystring: AppQuery,
        response: { 204: Type.Null(), ...errorResponses },
      },
    },
    async (request, reply) => {
      const target = await appFromQuery(services, (request.query as { app?: string }).app);
      const { id } = request.params as { id: string };
      await services.users.delete(target.id, id, contextOf(request, services.config));
      return reply.status(204).send();
    },
  );
}
