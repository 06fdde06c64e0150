/**
 * Every kind of token Latchkey signs. The kind travels in the JWT header as
 * `typ: "<kind>+jwt"` and is checked on every verification, so one kind is never
 * accepted where another is expected (RFC 8725 §3.11).
 */
export const TOKEN_KINDS = ['rpc-token', 'rpc-cookie'] as const;
export type TokenKind = (typeof TOKEN_KINDS)[number];

export function typHeader(kind: TokenKind): string {
  return `${kind}+jwt`;
}
