import assert from 'node:assert/strict';
import type { LightMyRequestResponse } from 'fastify';
import type { User } from '../../src/identity/types.js';
import { codeAt } from '../../src/mfa/index.js';
import type { TestServer } from '../helpers/server.js';

/** Shared pieces of the spa suites (not a test file itself). */

export const SECOND = 1000;
export const MINUTE = 60 * SECOND;

export interface SpaResponse {
  status: number;
  body: Record<string, unknown>;
  headers: LightMyRequestResponse['headers'];
  cookies: SetCookie[];
  raw: LightMyRequestResponse;
}

export interface SetCookie {
  name: string;
  value: string;
  expires?: Date;
  maxAge?: number;
  path?: string;
  domain?: string;
  httpOnly?: boolean;
  secure?: boolean;
  sameSite?: string;
}

/** `POST <prefix><path>` with a JSON body (or none), through the real HTTP layer. */
export async function spa(
  server: TestServer,
  path: string,
  body?: unknown,
  headers: Record<string, string> = {},
): Promise<SpaResponse> {
  const prefix = server.config.spa.prefix ?? '';
  const raw = await server.inject({
    method: 'POST',
    url: `${prefix}${path}`,
    headers: body === undefined ? headers : { 'content-type': 'application/json', ...headers },
    ...(body === undefined ? {} : { payload: JSON.stringify(body) }),
  });
  let parsed: Record<string, unknown> = {};
  if (raw.body) {
    try {
      parsed = JSON.parse(raw.body) as Record<string, unknown>;
    } catch {
      parsed = { raw: raw.body };
    }
  }
  return {
    status: raw.statusCode,
    body: parsed,
    headers: raw.headers,
    cookies: raw.cookies as SetCookie[],
    raw,
  };
}

export const COOKIE = 'it24_refresh_token';

/** The refresh Set-Cookie of a response. */
export function refreshCookie(res: SpaResponse, name = COOKIE): SetCookie | undefined {
  return res.cookies.find((c) => c.name === name);
}

/** The raw Set-Cookie lines of a response. */
export function setCookieLines(res: SpaResponse): string[] {
  const h = res.headers['set-cookie'];
  if (h === undefined) return [];
  return Array.isArray(h) ? h : [String(h)];
}

export const withCookie = (value: string, name = COOKIE) => ({ cookie: `${name}=${value}` });

/** The payload and header of a JWT, without verifying it. */
export function jwt(token: string): { header: Record<string, unknown>; payload: Record<string, unknown> } {
  const [h, p] = token.split('.');
  assert.ok(h && p, `not a JWT: ${token}`);
  return {
    header: JSON.parse(Buffer.from(h, 'base64url').toString()) as Record<string, unknown>,
    payload: JSON.parse(Buffer.from(p, 'base64url').toString()) as Record<string, unknown>,
  };
}

/** Signs in with email and password; returns the access token and the refresh cookie value. */
export async function signInSpa(
  server: TestServer,
  user: { emails: Array<{ address: string }>; password: string },
  headers: Record<string, string> = {},
): Promise<{ accessToken: string; refresh: string; res: SpaResponse }> {
  const res = await spa(
    server,
    '/login',
    { email: user.emails[0]!.address, password: user.password },
    headers,
  );
  assert.equal(res.status, 200, JSON.stringify(res.body));
  const accessToken = res.body['accessToken'];
  assert.equal(typeof accessToken, 'string', JSON.stringify(res.body));
  const cookie = refreshCookie(res);
  assert.ok(cookie?.value, 'the refresh cookie is set');
  return { accessToken: accessToken as string, refresh: cookie.value, res };
}

/**
 * Gives a user TOTP (through the core, as totp.enroll + totp.activate would) and moves
 * the clock past the activation's step. `code()` is the current code.
 */
export async function enrollTotp(server: TestServer, user: User) {
  const { secret } = await server.services.mfa.enroll(user, user.username ?? 'user');
  await server.services.mfa.activate(user, secret, codeAt(secret, server.clock.now()));
  server.clock.advance(30 * SECOND);
  return { secret, code: () => codeAt(secret, server.clock.now()) };
}

/** rpc user.info with a bearer token: true when accepted. */
export async function userInfoAccepts(server: TestServer, token: string): Promise<boolean> {
  const res = await server.inject({
    method: 'POST',
    url: `${server.config.rpc.prefix}/user.info`,
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    payload: '{}',
  });
  return (JSON.parse(res.body) as { ok?: boolean }).ok === true;
}
