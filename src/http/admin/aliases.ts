import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { type App, appQName } from '../../identity/types.js';
import type { Services } from '../../services.js';
import type { Alias } from '../../spa/index.js';
import { AppQuery, errorResponses } from './schemas.js';
import { appFromQuery } from './users.js';

const ID = '^[0-9a-f]{24}$';
const SURVEY = '^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$';

export const AdminAlias = Type.Object(
  {
    id: Type.String(),
    app: Type.String(),
    userId: Type.String(),
    surveyId: Type.String(),
    userName: Type.String(),
    createdAt: Type.String({ format: 'date-time' }),
  },
  { additionalProperties: false },
);

export function presentAlias(alias: Alias, app: App) {
  return {
    id: alias.id,
    app: appQName(app),
    userId: alias.userId,
    surveyId: alias.surveyId,
    userName: alias.userName,
    createdAt: new Date(alias.createdAt).toISOString(),
  };
}

/** Paging and filters shared by the spa admin lists. */
export const SpaListQuery = Type.Object(
  {
    ...AppQuery.properties,
    user: Type.Optional(Type.String({ pattern: ID, description: 'Only this user’s' })),
    survey: Type.Optional(Type.String({ pattern: SURVEY, description: 'Only this survey’s' })),
    // Query strings are text and never coerced, so the number is parsed here.
    limit: Type.Optional(
      Type.String({ pattern: '^(500|[1-4][0-9]{2}|[1-9][0-9]?)$', description: '1 to 500 (default 100)' }),
    ),
    after: Type.Optional(Type.String({ pattern: ID, description: 'Return entries after this id' })),
  },
  { additionalProperties: false },
);

export interface SpaListParams {
  app?: string;
  user?: string;
  survey?: string;
  limit?: string;
  after?: string;
}

export function listQuery(query: SpaListParams) {
  const limit = query.limit ? Number(query.limit) : 100;
  return {
    limit,
    query: {
      limit: limit + 1,
      ...(query.user ? { userId: query.user } : {}),
      ...(query.survey ? { surveyId: query.survey } : {}),
      ...(query.after ? { afterId: query.after } : {}),
    },
  };
}

const IdParams = Type.Object({ id: Type.String({ pattern: ID }) });

/** Survey aliases of the spa dialect: a user name per survey that signs in for that survey only. */
export function registerAdminAliases(app: FastifyInstance, services: Services): void {
  app.get(
    '/aliases',
    {
      schema: {
        summary: 'List survey aliases',
        querystring: SpaListQuery,
        response: {
          200: Type.Object({ aliases: Type.Array(AdminAlias), next: Type.Optional(Type.String()) }),
          ...errorResponses,
        },
      },
    },
    async (request) => {
      const params = request.query as SpaListParams;
      const target = await appFromQuery(services, params.app);
      const { limit, query } = listQuery(params);
      const aliases = await services.spa.aliases.list(target.id, query);
      const page = aliases.slice(0, limit);
      return {
        aliases: page.map((a) => presentAlias(a, target)),
        ...(aliases.length > limit ? { next: page.at(-1)!.id } : {}),
      };
    },
  );

  app.post(
    '/aliases',
    {
      schema: {
        summary: 'Give a user a user name in one survey',
        description:
          'The alias signs in with the user’s own password, for this survey only (`POST /login/alias`).',
        querystring: AppQuery,
        body: Type.Object(
          {
            userId: Type.String({ pattern: ID }),
            surveyId: Type.String({ pattern: SURVEY }),
            userName: Type.String({ minLength: 1, maxLength: 100 }),
          },
          { additionalProperties: false },
        ),
        response: { 201: Type.Object({ alias: AdminAlias }), ...errorResponses },
      },
    },
    async (request, reply) => {
      const target = await appFromQuery(services, (request.query as { app?: string }).app);
      const body = request.body as { userId: string; surveyId: string; userName: string };
      const alias = await services.spa.aliases.create(target.id, body);
      return reply.status(201).send({ alias: presentAlias(alias, target) });
    },
  );

  app.get(
    '/aliases/:id',
    {
      schema: {
        summary: 'One survey alias',
        params: IdParams,
        querystring: AppQuery,
        response: { 200: Type.Object({ alias: AdminAlias }), ...errorResponses },
      },
    },
    async (request) => {
      const target = await appFromQuery(services, (request.query as { app?: string }).app);
      const alias = await services.spa.aliases.get(target.id, (request.params as { id: string }).id);
      return { alias: presentAlias(alias, target) };
    },
  );

  app.delete(
    '/aliases/:id',
    {
      schema: {
        summary: 'Remove a survey alias (sessions it started run until they end or are revoked)',
        params: IdParams,
        querystring: AppQuery,
        response: { 204: Type.Null(), ...errorResponses },
      },
    },
    async (request, reply) => {
      const target = await appFromQuery(services, (request.query as { app?: string }).app);
      await services.spa.aliases.remove(target.id, (request.params as { id: string }).id);
      return reply.status(204).send();
    },
  );
}
