import type { ErrorCode } from '../shared/errors.js';

/**
 * The only place an HTTP status is chosen for a domain error. Dialects whose wire
 * format always answers 200 (rpc) still use it for the few errors that must be
 * real statuses for proxies and clients: overload and storage outages (503), throttling (429).
 */
export const HTTP_STATUS: Record<ErrorCode, number> = {
  invalid_input: 400,
  invalid_credentials: 401,
  unauthenticated: 401,
  token_invalid: 401,
  token_expired: 401,
  session_not_found: 401,
  forbidden: 403,
  user_not_found: 404,
  user_deactivated: 403,
  user_not_activated: 401,
  duplicate_username: 409,
  duplicate_email: 409,
  invalid_username: 400,
  invalid_primary_email: 400,
  invalid_password: 400,
  auth_factor_required: 401,
  auth_factor_invalid: 401,
  auth_factor_not_found: 400,
  rate_limited: 429,
  overloaded: 503,
  storage_unavailable: 503,
  not_found: 404,
  conflict: 409,
};
