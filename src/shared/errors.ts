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
  // apps: credentials were right but the login's profile workspace is still being provisioned, or failed to be.
  'profile_not_ready',
  'profile_failed',
  // identity management: orgs, permissions, roles, their assignments, one-time tokens, emails.
  'org_not_found',
  'duplicate_org',
  'membership_not_found',
  'duplicate_membership',
  'permission_not_found',
  'duplicate_permission',
  'immutable_permission',
  'invalid_permission',
  'invalid_permission_assignment',
  'duplicate_permission_assignment',
  'permission_assignment_not_found',
  'role_not_found',
  'duplicate_role',
  'immutable_role',
  'invalid_role_assignment',
  'duplicate_role_assignment',
  'role_assignment_not_found',
  'token_not_found',
  'email_not_found',
  'email_already_verified',
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
