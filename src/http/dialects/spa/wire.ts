import type { FastifyReply } from 'fastify';

/** The reference's messages; every sign-in failure gives the same one. */
export const MESSAGES = {
  credentials: 'Provided credentials do not match our records.',
  verify: 'Invalid Authorization',
  unauthorized: 'Unauthorized',
  crossSite: 'Cross-site request refused',
  throttled: 'Too many attempts; try again later',
  unavailable: 'Service Unavailable',
  internal: 'Internal Server Error',
} as const;

/** An answer in the dialect's `{message}` shape, with its status (and any headers such as Retry-After). */
export class SpaHttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
    this.name = 'SpaHttpError';
  }
}

export function sendMessage(reply: FastifyReply, error: SpaHttpError): FastifyReply {
  for (const [name, value] of Object.entries(error.headers)) reply.header(name, value);
  return reply.status(error.status).send({ message: error.message });
}

/** One entry of express-validator's `mapped()` errors, as the reference answers 422. */
export interface FieldError {
  value?: unknown;
  msg: string;
  param: string;
  location: 'body';
}

export interface FieldRule {
  name: string;
  msg: string;
  maxLength: number;
  /** Never echo the value back (the reference would echo a password). */
  secret?: boolean;
}

/**
 * The reference's input check: every field a non-empty string (within a sane length).
 * Returns the express-validator `mapped()` object of the failures, or null, and the
 * values when they passed.
 */
export function checkFields(
  body: unknown,
  rules: readonly FieldRule[],
): { errors: Record<string, FieldError> | null; values: Record<string, string> } {
  const source = body !== null && typeof body === 'object' && !Array.isArray(body) ? (body as object) : {};
  const errors: Record<string, FieldError> = {};
  const values: Record<string, string> = {};
  for (const rule of rules) {
    const value = Object.hasOwn(source, rule.name)
      ? (source as Record<string, unknown>)[rule.name]
      : undefined;
    if (typeof value === 'string' && value.length > 0 && value.length <= rule.maxLength) {
      values[rule.name] = value;
      continue;
    }
    errors[rule.name] = {
      ...(value === undefined || rule.secret ? {} : { value }),
      msg: rule.msg,
      param: rule.name,
      location: 'body',
    };
  }
  return { errors: Object.keys(errors).length > 0 ? errors : null, values };
}

export function sendFieldErrors(reply: FastifyReply, errors: Record<string, FieldError>): FastifyReply {
  return reply.status(422).send({ success: false, errors });
}

/** A string field of a body that needs no 422 shape (token routes): the value, or null. */
export function stringField(body: unknown, name: string, maxLength: number): string | null {
  if (body === null || typeof body !== 'object' || Array.isArray(body) || !Object.hasOwn(body, name))
    return null;
  const value = (body as Record<string, unknown>)[name];
  return typeof value === 'string' && value.length > 0 && value.length <= maxLength ? value : null;
}
