/**
 * Every kind of token Latchkey signs. The kind travels in the JWT header as
 * `typ: "<kind>+jwt"` and is checked on every verification, so one kind is never
 * accepted where another is expected (RFC 8725 §3.11).
 */
export const TOKEN_KINDS = [
  // rpc dialect: the session token of issueToken and the session cookie of setCookie.
  'rpc-token',
  'rpc-cookie',
  // spa dialect: the short-lived access token (its refresh token is opaque, not a JWT).
  'spa-access',
  // apps dialect: the principal token, and the short-lived proof of a verified email for sign-up.
  'apps-principal',
  'apps-verified-email',
  // feathers dialect: the access token of /auth/login, /auth/token and /authentication.
  'feathers-access',
  // A password was right and a second factor is due; and the signed answer of the MFA page.
  'mfa-challenge',
  'mfa-response',
] as const;
export type TokenKind = (typeof TOKEN_KINDS)[number];

/**
 * The kinds only Latchkey itself reads. They are signed with a key that is never
 * published (HS256 under a key derived from the master secret), so a resource server
 * that verifies against the JWKS and checks only `iss`, `aud` and `exp` can never
 * take one for an access token: its signature does not verify there.
 */
export const INTERNAL_KINDS: readonly TokenKind[] = ['apps-verified-email', 'mfa-challenge', 'mfa-response'];

export function isInternalKind(kind: TokenKind): boolean {
  return INTERNAL_KINDS.includes(kind);
}

export function typHeader(kind: TokenKind): string {
  return `${kind}+jwt`;
}
