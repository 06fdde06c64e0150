import type { ErrorCode } from '../shared/errors.js';

/**
 * The only place an HTTP status is chosen for a domain error. Dialects whose wire
 * format always answers 200 (rpc) still use it for the few errors that must be
 * real statuses for proxies and clients: overload and storage outages (503), throttling (429).
 */
/**
 * Domain errors logged at error level wherever a dialect answers them (server.ts): a store
 * outage is the operator's to fix. Only the storage layer raises storage_unavailable, from
 * its own connection failures, so a client dropping its connection cannot raise this alarm.
 */
export const OPERATOR_ALERTS: Partial<Record<ErrorCode, string>> = {
  storage_unavailable: 'storage unavailable',
};

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
  profile_not_ready: 409,
  profile_failed: 500,
  org_not_found: 404,
  duplicate_org: 409,
  membership_not_found: 404,
  duplicate_membership: 409,
  permission_not_found: 404,
  duplicate_permission: 409,
  immutable_permission: 409,
  invalid_permission: 400,
  invalid_permission_assignment: 400,
  duplicate_permission_assignment: 409,
  permission_assignment_not_found: 404,
  role_not_found: 404,
  duplicate_role: 409,
  immutable_role: 409,
  invalid_role_assignment: 400,
  duplicate_role_assignment: 409,
  role_assignment_not_found: 404,
  token_not_found: 404,
  email_not_found: 404,
  email_already_verified: 409,
};
