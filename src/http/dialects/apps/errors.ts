import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { type ErrorCode, isLatchkeyError, LatchkeyError } from '../../../shared/errors.js';
import { HTTP_STATUS } from '../../errors.js';

/**
 * The apps dialect's error object, as the reference answers it (SysError.ToJSON_APIV2):
 * `{"status": <HTTP status>, "message": "…"}`, always JSON, whatever went wrong.
 */
export interface AppsErrorBody {
  status: number;
  message: string;
}

/** The same words for every credential failure, so the answer never tells whether a login exists. */
export const CREDENTIALS_MESSAGE = 'login or password is incorrect';

const MESSAGES: Partial<Record<ErrorCode, string>> = {
  invalid_credentials: CREDENTIALS_MESSAGE,
  // Only a password holder could tell these apart; they read the same.
  user_not_activated: CREDENTIALS_MESSAGE,
  user_deactivated: CREDENTIALS_MESSAGE,
  // The reference's framework 429 carries an empty message; Retry-After says when.
  rate_limited: '',
  duplicate_username: 'sign-in identifier already exists',
  duplicate_email: 'sign-in identifier already exists',
  storage_unavailable: 'storage is unavailable; try again shortly',
};

const STATUS: Partial<Record<ErrorCode, number>> = {
  user_deactivated: 401,
  unauthenticated: 401,
};

/** A 400 of this dialect (body and path problems), with the reference's wording. */
export function badRequest(message: string): LatchkeyError {
  return new LatchkeyError('invalid_input', message);
}

/** How one route words (and, rarely, classes) a domain error: by code, a message or a function of the error. */
export type Rewording = Partial<
  Record<ErrorCode, string | ((err: LatchkeyError) => string) | { code: ErrorCode; message: string }>
>;

/**
 * A domain error in one route's words. The core's messages are written for every
 * dialect (and some name internal ids); a route that knows which body field was
 * wrong says so in the reference's style.
 */
export function reworded(err: unknown, words: Rewording): unknown {
  if (!isLatchkeyError(err)) return err;
  const word = words[err.code];
  if (word === undefined) return err;
  if (typeof word === 'string') return new LatchkeyError(err.code, word, err.details);
  if (typeof word === 'function') return new LatchkeyError(err.code, word(err), err.details);
  return new LatchkeyError(word.code, word.message, err.details);
}

/** `TOTP or RECOVERY_CODE`: the factor types an auth_factor_required error says apply. */
export function applicableTypes(err: LatchkeyError): string {
  const types = err.details.applicableAuthFactorTypes ?? [];
  return types.length > 0 ? types.join(' or ') : 'none';
}

export function sendAppsError(reply: FastifyReply, status: number, message: string): FastifyReply {
  return reply
    .status(status)
    .type('application/json')
    .send({ status, message } satisfies AppsErrorBody);
}

/** Every error inside the dialect ends here: a domain error, an HTTP-level refusal or a bug. */
export function handleAppsError(
  err: FastifyError | Error,
  request: FastifyRequest,
  reply: FastifyReply,
): FastifyReply {
  if (isLatchkeyError(err)) {
    const status = STATUS[err.code] ?? HTTP_STATUS[err.code];
    if (err.details.retryAfterSeconds) reply.header('retry-after', String(err.details.retryAfterSeconds));
    if (status >= 500) request.log.warn({ code: err.code }, err.message);
    return sendAppsError(reply, status, MESSAGES[err.code] ?? err.message);
  }
  const status = (err as { statusCode?: number }).statusCode;
  if (typeof status === 'number' && status >= 400 && status < 500) {
    const message =
      status === 413
        ? 'request body is too large'
        : status === 415
          ? 'unsupported content type; send application/json'
          : err.message;
    return sendAppsError(reply, status, message);
  }
  request.log.error({ err }, 'unhandled error');
  return sendAppsError(reply, 500, 'internal server error');
}
