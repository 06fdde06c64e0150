import type { FastifyReply } from 'fastify';
import { type ErrorCode, LatchkeyError } from '../../../shared/errors.js';

/** The reference's numeric error codes (yeep server/constants/errors.js). */
export const RPC_CODES: Partial<Record<ErrorCode, number>> = {
  unauthenticated: 10000,
  user_not_found: 10001,
  invalid_credentials: 10002,
  // Pending activation is not a concept of this dialect; only the password holder could tell it apart anyway.
  user_not_activated: 10002,
  invalid_primary_email: 10004,
  duplicate_email: 10005,
  duplicate_username: 10006,
  forbidden: 10012,
  invalid_username: 10014,
  user_deactivated: 10022,
  session_not_found: 10027,
  token_invalid: 10029,
  auth_factor_not_found: 10033,
  auth_factor_required: 10034,
  auth_factor_invalid: 10035,
  duplicate_org: 10003,
  duplicate_permission: 10007,
  permission_not_found: 10008,
  immutable_permission: 10009,
  duplicate_permission_assignment: 10010,
  org_not_found: 10011,
  // The reference gives these two one code (OrgNotFound and InvalidPermissionAssignment are both 10011).
  invalid_permission_assignment: 10011,
  permission_assignment_not_found: 10013,
  invalid_permission: 10015,
  duplicate_role: 10016,
  role_not_found: 10017,
  immutable_role: 10018,
  invalid_role_assignment: 10019,
  duplicate_role_assignment: 10020,
  role_assignment_not_found: 10021,
  membership_not_found: 10023,
  // One-time tokens (reset, verification, invitation) that do not exist, expired or were used.
  token_not_found: 10027,
  duplicate_membership: 10028,
  email_not_found: 10036,
  email_already_verified: 10037,
};

/** Errors that keep their HTTP status even in this always-200 dialect, so proxies and clients can back off. */
const REAL_STATUS: Partial<Record<ErrorCode, number>> = {
  rate_limited: 429,
  overloaded: 503,
  storage_unavailable: 503,
};

export interface RpcError {
  code: number;
  message: string;
  details?: unknown[];
  applicableAuthFactorTypes?: string[];
}

export function rpcError(err: LatchkeyError): { status: number; error: RpcError } {
  if (err.code === 'token_expired') {
    // The reference answers an expired bearer token or cookie this way; clients key their refresh on it.
    return { status: 200, error: { code: 401, message: 'Session cookie has expired' } };
  }
  if (Array.isArray(err.details['bodyDetails'])) {
    return { status: 200, error: { code: 400, message: err.message, details: err.details['bodyDetails'] } };
  }
  if (typeof err.details['rpcCode'] === 'number')
    return { status: 200, error: { code: err.details['rpcCode'], message: err.message } };
  const real = REAL_STATUS[err.code];
  if (real) return { status: real, error: { code: real, message: err.message } };
  const code = RPC_CODES[err.code];
  if (code === undefined) {
    // invalid_input, invalid_password and the like: the reference's Boom 400 inside the envelope.
    return { status: 200, error: { code: 400, message: err.message } };
  }
  // The same words for every credential failure: 'Not Activated' would tell a password holder only, but say it alike.
  const message = code === 10002 ? 'Invalid user or password' : err.message;
  const error: RpcError = { code, message };
  if (err.details.applicableAuthFactorTypes)
    error.applicableAuthFactorTypes = err.details.applicableAuthFactorTypes;
  return { status: 200, error };
}

export function sendRpcError(reply: FastifyReply, err: LatchkeyError): FastifyReply {
  const { status, error } = rpcError(err);
  if (err.details.retryAfterSeconds) reply.header('retry-after', String(err.details.retryAfterSeconds));
  return reply.status(status).send({ ok: false, error });
}

export function sendRpcValidationError(reply: FastifyReply, details: unknown[]): FastifyReply {
  return reply
    .status(200)
    .send({ ok: false, error: { code: 400, message: 'Invalid request body', details } });
}

/** Shorthand for domain errors raised inside rpc handlers. */
export function fail(code: ErrorCode, message: string, details: Record<string, unknown> = {}): never {
  throw new LatchkeyError(code, message, details);
}
