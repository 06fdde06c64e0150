import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { type App, appQName } from '../../identity/types.js';
import type { Services } from '../../services.js';
import type { LoginLink } from '../../spa/index.js';
import { listQuery, type SpaListParams, SpaListQuery } from './aliases.js';
import { AppQuery, errorResponses } from './schemas.js';
import { appFromQuery } from './users.js';

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());
const DateTime = Type.String({ format: 'date-time' });
const Nullable = <T extends ReturnType<typeof Type.String>>(t: T) => Type.Union([t, Type.Null()]);

/** A login link as the admin API shows it: never its secret (that is answered once, at creation). */
export const AdminLoginLink = Type.Object(
  {
    id: Type.String(),
    app: Type.String(),
    userId: Type.String(),
    surveyId: Type.Union([Type.String(), Type.Null()]),
    status: Type.Union([Type.Literal('active'), Type.Literal('revoked'), Type.Literal('expired')]),
    createdAt: DateTime,
    expiresAt: Nullable(DateTime),
    revokedAt: Nullable(DateTime),
    lastUsedAt: Nullable(DateTime),
  },
  { additionalProperties: false },
);

export function linkStatus(link: LoginLink, now: number): 'active' | 'revoked' | 'expired' {
  if (link.revokedAt !== null) return 'revoked';
  if (link.expiresAt !== null && link.expiresAt <= now) return 'expired';
  return 'active';
}

export function presentLoginLink(link: LoginLink, app: App, now: number) {
  return {
    id: link.id,
    app: appQName(app),
    userId: link.userId,
    surveyId: link.surveyId,
    status: linkStatus(link, now),
    createdAt: iso(link.createdAt)!,
    expiresAt: iso(link.expiresAt),
    revokedAt: iso(link.revokedAt),
    lastUsedAt: iso(link.lastUsedAt),
  };
}

const IdParams = Type.Object({ id: Type.String({ pattern: '^[0-9a-f]{24}$' }) });

/** Login-link tokens of the spa dialect (`POST /login/token`): created, listed and revoked here. */
export function registerAdminLoginLinks(app: FastifyInstance, services: Services): void {
  app.get(
    '/login-links',
    {
      schema: {
        summary: 'List login links (without their secrets)',
        querystring: SpaListQuery,
        response: {
          200: Type.Object({ loginLinks: Type.Array(AdminLoginLink), next: Type.Optional(Type.String()) }),
          ...errorResponses,
        },
      },
    },
    async (request) => {
      const params = request.query as SpaListParams;
      const target = await appFromQuery(services, params.app);
      const { limit, query } = listQuery(params);
      const links = await services.spa.loginLinks.list(target.id, query);
      const page = links.slice(0, limit);
      const now = services.clock.now();
      return {
        loginLinks: page.map((l) => presentLoginLink(l, target, now)),
        ...(links.length > limit ? { next: page.at(-1)!.id } : {}),
      };
    },
  );

  app.post(
    '/login-links',
    {
      schema: {
        summary: 'Create a login link for a user (and survey)',
        description:
          'Answers the secret `token` this once: only its SHA-256 is stored. The user signs in with `POST /login/token {token}`.',
        querystring: AppQuery,
        body: Type.Object(
          {
            userId: Type.String({ pattern: '^[0-9a-f]{24}$' }),
            surveyId: Type.Optional(Type.String({ pattern: '^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$' })),
            expiresInSeconds: Type.Optional(
              Type.Integer({ minimum: 60, maximum: 315360000, description: 'Unset: the link never expires' }),
            ),
          },
          { additionalProperties: false },
        ),
        response: {
          201: Type.Object(
            {
              loginLink: AdminLoginLink,
              token: Type.String({ description: 'The secret, shown once; put it in the link you hand out' }),
            },
            { additionalProperties: false },
          ),
          ...errorResponses,
        },
      },
    },
    async (request, reply) => {
      const target = await appFromQuery(services, (request.query as { app?: string }).app);
      const body = request.body as { userId: string; surveyId?: string; expiresInSeconds?: number };
      const now = services.clock.now();
      const { link, token } = await services.spa.loginLinks.create(target.id, {
        userId: body.userId,
        surveyId: body.surveyId ?? null,
        expiresAt: body.expiresInSeconds === undefined ? null : now + body.expiresInSeconds * 1000,
      });
      return reply.status(201).send({ loginLink: presentLoginLink(link, target, now), token });
    },
  );

  app.post(
    '/login-links/:id/revoke',
    {
      schema: {
        summary: 'Revoke a login link (idempotent)',
        params: IdParams,
        querystring: AppQuery,
        response: { 200: Type.Object({ loginLink: AdminLoginLink }), ...errorResponses },
      },
    },
    async (request) => {
      const target = await appFromQuery(services, (request.query as { app?: string }).app);
      const link = await services.spa.loginLinks.revoke(target.id, (request.params as { id: string }).id);
      return { loginLink: presentLoginLink(link, target, services.clock.now()) };
    },
  );
}
