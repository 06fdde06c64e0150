import { type TSchema, Type } from '@sinclair/typebox';
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { isLatchkeyError, type LatchkeyError } from '../../../shared/errors.js';
import { HTTP_STATUS } from '../../errors.js';
import { fieldProblem } from '../../validation-wording.js';

/**
 * Feathers' error classes by status (@feathersjs/errors): `name` is the class,
 * `className` its kebab-case form. 413 and 415 have no Feathers class; they keep
 * their real status under a name made the same way.
 */
const CLASSES: Record<number, string> = {
  400: 'BadRequest',
  401: 'NotAuthenticated',
  402: 'PaymentError',
  403: 'Forbidden',
  404: 'NotFound',
  405: 'MethodNotAllowed',
  406: 'NotAcceptable',
  408: 'Timeout',
  409: 'Conflict',
  410: 'Gone',
  411: 'LengthRequired',
  413: 'PayloadTooLarge',
  415: 'UnsupportedMediaType',
  422: 'Unprocessable',
  429: 'TooManyRequests',
  500: 'GeneralError',
  501: 'NotImplemented',
  502: 'BadGateway',
  503: 'Unavailable',
};

const kebab = (name: string) => name.replace(/([a-z])([A-Z])/g, '$1-$2').toLowerCase();

/** The Feathers error body: `{name, message, code, className, data?, errors}` (errors always present, as Feathers 1–4 send it). */
export interface FeathersErrorBody {
  name: string;
  message: string;
  code: number;
  className: string;
  data?: Record<string, unknown>;
  errors: Record<string, unknown>;
}

export class FeathersHttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly extra: {
      data?: Record<string, unknown>;
      errors?: Record<string, unknown>;
      retryAfterSeconds?: number;
    } = {},
  ) {
    super(message);
    this.name = 'FeathersHttpError';
  }
}

export function feathersBody(
  status: number,
  message: string,
  extra: { data?: Record<string, unknown>; errors?: Record<string, unknown> } = {},
): FeathersErrorBody {
  const name = CLASSES[status] ?? (status >= 500 ? 'GeneralError' : 'BadRequest');
  return {
    name,
    message,
    code: status,
    className: kebab(name),
    ...(extra.data ? { data: extra.data } : {}),
    errors: extra.errors ?? {},
  };
}

/** The response schema of one error status, for a route's `response`. */
export function feathersErrorSchema(status: number, description: string): TSchema {
  const name = CLASSES[status] ?? 'GeneralError';
  return Type.Object(
    {
      name: Type.Literal(name),
      message: Type.String(),
      code: Type.Literal(status),
      className: Type.Literal(kebab(name)),
      data: Type.Optional(Type.Object({}, { additionalProperties: true })),
      errors: Type.Object({}, { additionalProperties: true }),
    },
    { additionalProperties: false, title: `Feathers ${name}`, description },
  );
}

const DESCRIPTIONS: Record<number, string> = {
  400: 'BadRequest: malformed JSON or a body, query or field of the wrong shape',
  401: "NotAuthenticated: 'Invalid login' for every credential failure, 'Not Activated' after a correct password of a pending account, or a refused token",
  404: 'NotFound: no such route in this dialect',
  405: 'MethodNotAllowed: the route does not take this verb',
  413: 'PayloadTooLarge: body larger than the configured limit',
  415: 'UnsupportedMediaType: only application/json bodies are accepted',
  429: 'TooManyRequests: throttled; see Retry-After',
  500: 'GeneralError: an internal error (never caused by input)',
  503: 'Unavailable: overloaded or storage unavailable; see Retry-After',
};

export function feathersErrors(...statuses: number[]): Record<number, TSchema> {
  return Object.fromEntries(statuses.map((s) => [s, feathersErrorSchema(s, DESCRIPTIONS[s] ?? 'Error')]));
}

/**
 * Domain errors in Feathers' words. The status comes from the one table in
 * http/errors.ts; only the messages are the dialect's: every credential failure reads
 * 'Invalid login' (Feathers' local strategy), pending activation 'Not Activated' (Edumaps).
 */
function fromDomain(err: LatchkeyError): FeathersHttpError {
  const status = HTTP_STATUS[err.code];
  const retry = err.details.retryAfterSeconds;
  switch (err.code) {
    case 'invalid_credentials':
      return new FeathersHttpError(status, 'Invalid login');
    case 'user_not_activated':
      return new FeathersHttpError(status, 'Not Activated');
    case 'auth_factor_required':
      return new FeathersHttpError(
        status,
        'A second factor is required: send secondaryAuthFactor {type, token}',
        {
          data: { applicableAuthFactorTypes: err.details.applicableAuthFactorTypes ?? [] },
        },
      );
    case 'rate_limited':
      return new FeathersHttpError(status, 'Too many attempts; try again later', {
        ...(retry ? { retryAfterSeconds: retry } : {}),
      });
    case 'overloaded':
    case 'storage_unavailable':
      return new FeathersHttpError(status, err.message, { retryAfterSeconds: retry ?? 1 });
    default:
      return new FeathersHttpError(status, err.message);
  }
}

/**
 * Schema failures name the field in `errors`, the way Feathers validation hooks do, in plain
 * words: `{"email": "must be a string"}`, and the message `email must be a string`.
 */
function fromValidation(err: FastifyError): FeathersHttpError {
  const errors: Record<string, string> = {};
  for (const entry of err.validation ?? []) {
    const problem = fieldProblem(entry);
    errors[problem.path.length ? problem.field : 'body'] = problem.text;
  }
  return new FeathersHttpError(400, err.message, { errors });
}

/** Any error of a feathers route, as the Feathers error it answers with. */
export function toFeathersError(err: unknown, request: Pick<FastifyRequest, 'log'>): FeathersHttpError {
  if (err instanceof FeathersHttpError) return err;
  if (isLatchkeyError(err)) return fromDomain(err);
  const fastifyError = err as FastifyError;
  if (fastifyError?.validation) return fromValidation(fastifyError);
  const status = fastifyError?.statusCode;
  if (typeof status === 'number' && status >= 400 && status < 500) {
    return new FeathersHttpError(status, fastifyError.message);
  }
  request.log.error({ err }, 'unhandled error');
  // Feathers would pass the original message on; it can name internals, so it stays in the log.
  return new FeathersHttpError(500, 'An internal server error occurred');
}

export function sendFeathersError(reply: FastifyReply, err: FeathersHttpError): FastifyReply {
  if (err.extra.retryAfterSeconds) reply.header('retry-after', String(err.extra.retryAfterSeconds));
  return reply.status(err.status).send(
    feathersBody(err.status, err.message, {
      ...(err.extra.data ? { data: err.extra.data } : {}),
      ...(err.extra.errors ? { errors: err.extra.errors } : {}),
    }),
  );
}

/** NotAuthenticated for a presented token that does not count (forged, revoked, of another kind, its user gone). */
export function invalidToken(): FeathersHttpError {
  return new FeathersHttpError(401, 'Invalid access token');
}
