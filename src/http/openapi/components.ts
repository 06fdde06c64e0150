import { type TSchema, Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import type { DialectName } from '../../config/settings.js';

/**
 * Response shapes shared by several routes. Each is registered once with `addSchema`
 * and appears in the document as `#/components/schemas/<$id>`; routes point at them
 * with `ref(<Schema>)`.
 */
const exact = { additionalProperties: false } as const;

const DateTime = Type.String({ format: 'date-time' });
const Nullable = <T extends TSchema>(schema: T) => Type.Union([schema, Type.Null()]);

/** Fastify's (Boom-like) error body: HTTP-level refusals (malformed JSON, 404, 405, 413, 415) and 5xx. */
export const HttpError = Type.Object(
  {
    statusCode: Type.Integer({ minimum: 400, maximum: 599 }),
    error: Type.String({ description: 'The HTTP reason phrase' }),
    message: Type.String(),
  },
  { ...exact, $id: 'HttpError', description: 'An HTTP-level error' },
);

/** One entry of an rpc validation error (`error.details`), in the reference's Joi vocabulary. */
const RpcErrorDetail = Type.Object(
  {
    message: Type.String(),
    path: Type.Array(Type.Union([Type.String(), Type.Integer()])),
    type: Type.String({ description: 'e.g. `any.required`, `string.min`, `object.allowUnknown`' }),
    context: Type.Object({}, { additionalProperties: true }),
  },
  { additionalProperties: true },
);

export const RpcError = Type.Object(
  {
    code: Type.Integer({
      description:
        'The reference’s numeric code (10000 unauthenticated, 10002 invalid credentials, …) or an HTTP-like one (400, 401, 429, 503)',
    }),
    message: Type.String(),
    details: Type.Optional(Type.Array(RpcErrorDetail, { description: 'Present on invalid request bodies' })),
    applicableAuthFactorTypes: Type.Optional(Type.Array(Type.String())),
  },
  { ...exact, $id: 'RpcError' },
);

export const RpcErrorEnvelope = Type.Object(
  { ok: Type.Literal(false), error: ref(RpcError) },
  { ...exact, $id: 'RpcErrorEnvelope', description: 'The rpc dialect’s error answer' },
);

const PermissionFields = {
  id: Type.String(),
  name: Type.String(),
  isSystemPermission: Type.Boolean(),
  orgId: Type.String({ description: 'Empty for a global grant' }),
  roleId: Type.String(),
};

/** A permission as a session token's `user` claim carries it: `resourceId` only when set. */
export const RpcTokenPermission = Type.Object(
  { ...PermissionFields, resourceId: Type.Optional(Type.String()) },
  { ...exact, $id: 'RpcTokenPermission' },
);

/** A permission as user.info / user.list show it. */
export const RpcUserPermission = Type.Object(
  { ...PermissionFields, resourceId: Type.String({ description: 'Empty when not bound to a resource' }) },
  { ...exact, $id: 'RpcUserPermission' },
);

/** A role a user holds, as user.info / user.list show it with `projection.roles`. */
export const RpcUserRole = Type.Object(
  {
    id: Type.String(),
    name: Type.String(),
    isSystemRole: Type.Boolean(),
    orgId: Type.String({ description: 'Empty for a global grant' }),
    resourceId: Type.String({ description: 'Empty when not bound to a resource' }),
  },
  { ...exact, $id: 'RpcUserRole' },
);

/** The `user` claim of a session token, as session.setCookie / session.refreshCookie answer it. */
export const RpcSessionUser = Type.Object(
  {
    id: Type.String(),
    username: Type.Optional(Type.String()),
    fullName: Type.Optional(Type.String()),
    picture: Type.Optional(Type.String()),
    primaryEmail: Type.Optional(Nullable(Type.String())),
    permissions: Type.Optional(Type.Array(ref(RpcTokenPermission))),
  },
  {
    ...exact,
    $id: 'RpcSessionUser',
    description: 'Profile fields with `projection.profile`, permissions with `projection.permissions`',
  },
);

/** A user as user.info / user.list / user.create / user.update present it; every field is subject to `projection`. */
export const RpcUser = Type.Object(
  {
    id: Type.Optional(Type.String()),
    username: Type.Optional(Nullable(Type.String())),
    fullName: Type.Optional(Nullable(Type.String())),
    picture: Type.Optional(Nullable(Type.String())),
    emails: Type.Optional(
      Type.Array(
        Type.Object({ address: Type.String(), isVerified: Type.Boolean(), isPrimary: Type.Boolean() }, exact),
      ),
    ),
    orgs: Type.Optional(Type.Array(Type.String())),
    createdAt: Type.Optional(DateTime),
    updatedAt: Type.Optional(DateTime),
    permissions: Type.Optional(Type.Array(ref(RpcUserPermission))),
    roles: Type.Optional(Type.Array(ref(RpcUserRole))),
  },
  { ...exact, $id: 'RpcUser' },
);

/** What user.activate / user.deactivate answer. */
export const RpcUserStatus = Type.Object(
  { id: Type.String(), deactivatedAt: Nullable(DateTime), updatedAt: DateTime },
  { ...exact, $id: 'RpcUserStatus' },
);

/**
 * The apps dialect's sign-in and refresh answer, named as the reference's own document
 * names it (`#/components/schemas/PrincipalToken`, seed 002). Both integers are `int64`
 * as there: a profile WSID is above 2^31 (cluster 1 starts at 2^47), so a client
 * generated with 32-bit integers would overflow. Unlike the reference, every field is
 * required: Latchkey always answers all three.
 */
export const PrincipalToken = Type.Object(
  {
    principalToken: Type.String({ description: 'The principal token (a JWT)' }),
    expiresInSeconds: Type.Integer({
      format: 'int64',
      description: 'Seconds until it expires (3600 by default)',
    }),
    profileWSID: Type.Integer({ format: 'int64', description: "The login's profile workspace id" }),
  },
  { ...exact, $id: 'PrincipalToken', description: 'A principal token' },
);

/** The components each face's routes point at: a dialect that is switched off adds none. */
const COMPONENTS: { always: TSchema[] } & Partial<Record<DialectName, TSchema[]>> = {
  always: [HttpError],
  rpc: [
    RpcError,
    RpcErrorEnvelope,
    RpcTokenPermission,
    RpcUserPermission,
    RpcUserRole,
    RpcSessionUser,
    RpcUser,
    RpcUserStatus,
  ],
  apps: [PrincipalToken],
};

/** A reference to a registered component (`<$id>#`, which Fastify and @fastify/swagger both resolve). */
export function ref(schema: TSchema): TSchema {
  const id = schema.$id;
  if (!id) throw new Error('only schemas with an $id can be referenced');
  return Type.Unsafe({ $ref: `${id}#` });
}

export function registerComponents(app: FastifyInstance, dialects: readonly DialectName[]): void {
  const schemas = [...COMPONENTS.always, ...dialects.flatMap((d) => COMPONENTS[d] ?? [])];
  for (const schema of schemas) app.addSchema(schema);
}

/** The Fastify-style error answer for the given statuses, for a route's `response`. */
export function httpErrors(...statuses: number[]): Record<number, TSchema> {
  return Object.fromEntries(
    statuses.map((s) => [s, Type.Unsafe({ ...ref(HttpError), description: describe(s) })]),
  );
}

const DESCRIPTIONS: Record<number, string> = {
  400: 'Malformed JSON',
  404: 'No such route',
  405: 'Wrong HTTP method',
  413: 'Body larger than the configured limit',
  415: 'Content type other than application/json',
  429: 'Throttled; see Retry-After',
  500: 'Internal error',
  503: 'Overloaded or storage unavailable; see Retry-After',
};

export function describe(status: number): string {
  return DESCRIPTIONS[status] ?? 'Error';
}
