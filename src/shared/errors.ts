/**
 * The one error type of the domain. Codes are stable strings; each dialect maps
 * them to its own wire shape, and http/errors.ts maps them to HTTP statuses.
 */
export const ERROR_CODES = [
  'invalid_input',
  'invalid_credentials',
  'unauthenticated',
  'token_invalid',
  'token_expired',
  'session_not_found',
  'forbidden',
  'user_not_found',
  'user_deactivated',
  'user_not_activated',
  'duplicate_username',
  'duplicate_email',
  'invalid_username',
  'invalid_primary_email',
  'invalid_password',
  'auth_factor_required',
  'auth_factor_invalid',
  'auth_factor_not_found',
  'rate_limited',
  'overloaded',
  'storage_unavailable',
  'not_found',
  'conflict',
] as const;

export type ErrorCode = (typeof ERROR_CODES)[number];

export interface ErrorDetails {
  /** For auth_factor_required: the factor types the user may present. */
  applicableAuthFactorTypes?: string[];
  /** For rate_limited / overloaded: when to try again. */
  retryAfterSeconds?: number;
  /** The user key the caller supplied (echoed by some dialect messages). */
  userKey?: string;
  [key: string]: unknown;
}

export class LatchkeyError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly details: ErrorDetails = {},
  ) {
    super(message);
    this.name = 'LatchkeyError';
  }
}

export function isLatchkeyError(err: unknown): err is LatchkeyError {
  return err instanceof LatchkeyError;
}
