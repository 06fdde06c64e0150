import { readFileSync } from 'node:fs';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { FastifyInstance } from 'fastify';
import { DIALECT_NAMES, type DialectName } from '../../config/settings.js';
import { spaSettings } from '../../config/spa.js';
import type { Services } from '../../services.js';
import { registerComponents } from './components.js';

/** Security requirement objects, named as in `components.securitySchemes`. */
export const SECURITY = {
  none: [] as Array<Record<string, string[]>>,
  bearerOrCookie: [{ BearerAuth: [] }, { sessionCookie: [] }] as Array<Record<string, string[]>>,
  cookie: [{ sessionCookie: [] }] as Array<Record<string, string[]>>,
  refreshCookie: [{ refreshCookie: [] }] as Array<Record<string, string[]>>,
};

/** The docs page loads only its own scripts and styles (Swagger UI sets inline styles) and talks only to us. */
export const DOCS_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data:",
  "font-src 'self' data:",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

interface OpenApiOperation {
  operationId?: string;
  requestBody?: { required?: boolean; content?: Record<string, { schema?: { required?: string[] } }> };
}

interface OpenApiDocument {
  paths?: Record<string, Record<string, OpenApiOperation>>;
}

const HTTP_METHODS = new Set(['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace']);

/** `/admin/users/{id}/activate` → `AdminUsersByIdActivate`: the path as one identifier. */
function pathWords(path: string): string {
  return path
    .split('/')
    .filter((segment) => segment !== '')
    .map((segment) => {
      const param = /^\{(.+)\}$/.exec(segment);
      const words = (param ? `by-${param[1]}` : segment).split(/[^A-Za-z0-9]+/).filter(Boolean);
      return words.map((w) => w[0]!.toUpperCase() + w.slice(1)).join('');
    })
    .join('');
}

/**
 * Every operation gets an `operationId`, the name a generated client gives its method.
 * Routes that chose one keep it (the rpc methods are `session.issueToken`, …); the others
 * are named from the verb and the path (`postLoginAlias`, `getAdminUsersByIdIntegrations`),
 * so a name changes only when the route does.
 */
function operationIds<T extends OpenApiDocument>(doc: T): T {
  for (const [path, item] of Object.entries(doc.paths ?? {})) {
    for (const [method, operation] of Object.entries(item)) {
      if (!HTTP_METHODS.has(method) || operation.operationId) continue;
      // A route of several verbs shares one operation object among them: each gets its own copy.
      item[method] = { ...operation, operationId: `${method}${pathWords(path)}` };
    }
  }
  return doc;
}

/** A body with no required field may be left out entirely (the rpc methods read it as `{}`). */
function optionalBodies<T extends OpenApiDocument>(doc: T): T {
  for (const item of Object.values(doc.paths ?? {})) {
    for (const operation of Object.values(item)) {
      const body = operation.requestBody;
      const schema = body?.content?.['application/json']?.schema;
      if (body && schema && (schema.required ?? []).length === 0) body.required = false;
    }
  }
  return doc;
}

function isDialect(name: string): name is DialectName {
  return (DIALECT_NAMES as readonly string[]).includes(name);
}

function packageInfo(): { name: string; version: string; license: string } {
  // src/http/openapi (tsx, tests from source) or dist/src/http/openapi (built).
  for (const up of ['../../../package.json', '../../../../package.json']) {
    try {
      const pkg = JSON.parse(readFileSync(new URL(up, import.meta.url), 'utf8')) as {
        name?: string;
        version?: string;
        license?: string;
      };
      if (pkg.name && pkg.version)
        return { name: pkg.name, version: pkg.version, license: pkg.license ?? 'MIT' };
    } catch {
      // try the next level up
    }
  }
  return { name: 'latchkey', version: '0.0.0', license: 'MIT' };
}

/**
 * The API description, generated from the route schemas: must be registered before any
 * route so @fastify/swagger sees them all. Serves `GET /openapi.json` and the docs at `GET /docs`.
 */
export async function registerOpenApi(app: FastifyInstance, services: Services): Promise<void> {
  const { name, version, license } = packageInfo();
  const { dialects } = services.config;
  registerComponents(app, dialects);
  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: name,
        version,
        description:
          'Self-hosted authentication server. This document is generated from the route schemas the server validates with.',
        license: { name: license, identifier: license },
      },
      // Where users reach this server (`publicUrl`, a path prefix behind a proxy included).
      servers: [{ url: services.config.publicUrl.replace(/\/+$/, '') || '/' }],
      // A dialect that is switched off has no routes, so neither its tag nor its cookie scheme is listed.
      tags: [
        { name: 'operations', description: 'Health, readiness, metrics and the public signing keys' },
        { name: 'rpc', description: 'The yeep-compatible rpc dialect: `POST <prefix>/<ns>.<method>`' },
        {
          name: 'apps',
          description:
            'The voedger-compatible apps dialect: `POST /api/v2/apps/{owner}/{app}/…`, principal tokens per app; errors are `{status, message}`',
        },
        {
          name: 'spa',
          description:
            'The intake24-compatible spa dialect: short-lived access tokens and an http-only refresh cookie; errors are `{message}` (422 with `errors` for invalid fields)',
        },
        {
          name: 'feathers',
          description:
            'The Feathers-compatible dialect of Edumaps: `201 {token, data}` logins and Feathers error objects',
        },
        {
          name: 'admin',
          description:
            'Administration (apps, aliases, login links, integrations, users, keys, audit): a Bearer token of a user holding the permission each operation names',
        },
        {
          name: 'pages',
          description: 'Server-rendered HTML pages: the hosted MFA challenge and the mailed links',
        },
      ].filter((tag) => !isDialect(tag.name) || dialects.includes(tag.name)),
      components: {
        securitySchemes: {
          BearerAuth: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' },
          ...(dialects.includes('rpc') && {
            sessionCookie: {
              type: 'apiKey',
              in: 'cookie',
              name: services.config.cookie.name,
              description: 'The rpc session cookie set by session.setCookie',
            },
          }),
          ...(dialects.includes('spa') && {
            refreshCookie: {
              type: 'apiKey',
              in: 'cookie',
              name: spaSettings(services.config).cookie.name,
              description:
                'The spa dialect’s http-only refresh cookie, set by its sign-ins and rotated by /refresh',
            },
          }),
        },
      },
    },
    // Components keep their own names (`#/components/schemas/RpcUser`), not `def-N`.
    refResolver: { buildLocalReference: (json, _base, _fragment, i) => String(json['$id'] ?? `def-${i}`) },
    convertConstToEnum: false,
    transformObject: (document) =>
      operationIds(
        optionalBodies((document as unknown as { openapiObject: OpenApiDocument }).openapiObject),
      ) as never,
  });

  app.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger());

  await app.register(async (scope) => {
    scope.addHook('onSend', async (_request, reply, payload) => {
      reply.header('content-security-policy', DOCS_CSP);
      return payload;
    });
    await scope.register(swaggerUi, {
      routePrefix: '/docs',
      uiConfig: { deepLinking: true },
      theme: { title: `${name} API` },
    });
  });
}
