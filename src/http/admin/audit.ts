import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import type { Services } from '../../services.js';
import { LatchkeyError } from '../../shared/errors.js';
import { errorResponses } from './schemas.js';
import { appFromQuery } from './users.js';

const AuditEventSchema = Type.Object({
  id: Type.String(),
  app: Type.Union([Type.String(), Type.Null()]),
  userId: Type.Union([Type.String(), Type.Null()]),
  type: Type.String(),
  ip: Type.Union([Type.String(), Type.Null()]),
  userAgent: Type.Union([Type.String(), Type.Null()]),
  requestId: Type.Union([Type.String(), Type.Null()]),
  dialect: Type.Union([Type.String(), Type.Null()]),
  details: Type.Record(Type.String(), Type.Unknown()),
  at: Type.String({ format: 'date-time' }),
});

const Iso = Type.String({ description: 'An ISO 8601 time', minLength: 10, maxLength: 40 });

function parseTime(value: string | undefined, name: string): number | undefined {
  if (value === undefined) return undefined;
  const ms = Date.parse(value);
  if (Number.isNaN(ms)) throw new LatchkeyError('invalid_input', `${name} must be an ISO 8601 time`);
  return ms;
}

export function registerAdminAudit(app: FastifyInstance, services: Services): void {
  app.get(
    '/audit',
    {
      schema: {
        summary: 'Security events, newest first',
        querystring: Type.Object(
          {
            app: Type.Optional(Type.String({ minLength: 3, maxLength: 129 })),
            user: Type.Optional(Type.String({ pattern: '^[0-9a-f]{24}$' })),
            type: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })),
            since: Type.Optional(Iso),
            until: Type.Optional(Iso),
            limit: Type.Optional(
              Type.String({
                pattern: '^(500|[1-4][0-9]{2}|[1-9][0-9]?)$',
                description: '1 to 500 (default 100)',
              }),
            ),
            before: Type.Optional(
              Type.String({ pattern: '^[0-9a-f]{24}$', description: 'Continue after this event id' }),
            ),
          },
          { additionalProperties: false },
        ),
        response: {
          200: Type.Object({ events: Type.Array(AuditEventSchema), next: Type.Optional(Type.String()) }),
          ...errorResponses,
        },
      },
    },
    async (request) => {
      const q = request.query as Record<string, string | undefined>;
      const target = q['app'] ? await appFromQuery(services, q['app']) : null;
      const limit = q['limit'] ? Number(q['limit']) : 100;
      const since = parseTime(q['since'], 'since');
      const until = parseTime(q['until'], 'until');
      const events = await services.audit.list({
        limit: limit + 1,
        ...(target ? { appId: target.id } : {}),
        ...(q['user'] ? { userId: q['user'] } : {}),
        ...(q['type'] ? { type: q['type'] } : {}),
        ...(since !== undefined ? { since } : {}),
        ...(until !== undefined ? { until } : {}),
        ...(q['before'] ? { beforeId: q['before'] } : {}),
      });
      const apps = new Map((await services.apps.list()).map((a) => [a.id, `${a.owner}/${a.name}`]));
      const page = events.slice(0, limit);
      return {
        events: page.map((e) => ({
          id: e.id,
          app: e.appId ? (apps.get(e.appId) ?? null) : null,
          userId: e.userId,
          type: e.type,
          ip: e.ip,
          userAgent: e.userAgent,
          requestId: e.requestId,
          dialect: e.dialect,
          details: e.details,
          at: new Date(e.at).toISOString(),
        })),
        ...(events.length > limit ? { next: page.at(-1)!.id } : {}),
      };
    },
  );
}
