import assert from 'node:assert/strict';
import { newId } from '../../src/shared/ids.js';
import { type RpcResponse, rpc } from '../helpers/rpc.js';
import type { TestServer } from '../helpers/server.js';

/** Shared pieces of the rpc suites (not a test file itself). */

/** The payload of a JWT, without verifying it. */
export function jwtPayload(token: string): Record<string, unknown> {
  const part = token.split('.')[1];
  assert.ok(part, `not a JWT: ${token}`);
  return JSON.parse(Buffer.from(part, 'base64url').toString()) as Record<string, unknown>;
}

/** Asserts the reference envelope of a domain error: HTTP 200, `ok:false`, the numeric code. */
export function assertRpcError(res: RpcResponse, code: number, message?: string | RegExp): void {
  assert.equal(res.status, 200, `HTTP status of ${JSON.stringify(res.body)}`);
  assert.equal(res.body.ok, false, JSON.stringify(res.body));
  assert.equal(res.body.error?.code, code, JSON.stringify(res.body));
  if (typeof message === 'string') assert.equal(res.body.error?.message, message);
  else if (message) assert.match(res.body.error?.message ?? '', message);
}

/** Asserts a successful envelope and returns the body. */
export function assertOk(res: RpcResponse): RpcResponse['body'] {
  assert.equal(res.status, 200, `HTTP status of ${JSON.stringify(res.body)}`);
  assert.equal(res.body.ok, true, JSON.stringify(res.body));
  assert.equal(res.body.error, undefined);
  return res.body;
}

/** Asserts the 400 'Invalid request body' envelope and returns its details. */
export function assertInvalidBody(res: RpcResponse): Array<{
  message: string;
  path: Array<string | number>;
  type: string;
  context: Record<string, unknown>;
}> {
  assertRpcError(res, 400, 'Invalid request body');
  const details = res.body.error?.['details'];
  assert.ok(Array.isArray(details) && details.length > 0, `details expected: ${JSON.stringify(res.body)}`);
  for (const d of details as Array<Record<string, unknown>>) {
    assert.equal(typeof d['message'], 'string');
    assert.ok(Array.isArray(d['path']));
    assert.equal(typeof d['type'], 'string');
    assert.equal(typeof d['context'], 'object');
  }
  return details as ReturnType<typeof assertInvalidBody>;
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

/** The `session` Set-Cookie of a response (light-my-request parses them). */
export function sessionCookie(res: RpcResponse, name = 'session'): SetCookie | undefined {
  return (res.cookies as SetCookie[]).find((c) => c.name === name);
}

/** The raw Set-Cookie header lines of a response. */
export function setCookieHeaders(res: RpcResponse): string[] {
  const h = res.headers['set-cookie'];
  if (h === undefined) return [];
  return Array.isArray(h) ? h : [String(h)];
}

/** Signs in with setCookie and returns the cookie value (the cookie JWT). */
export async function signInCookie(
  server: TestServer,
  user: string,
  password: string,
  extra: Record<string, unknown> = {},
): Promise<{ cookie: string; res: RpcResponse }> {
  const res = await rpc(server, 'session.setCookie', { user, password, ...extra });
  assertOk(res);
  const c = sessionCookie(res);
  assert.ok(c?.value, 'setCookie must set the session cookie');
  return { cookie: c.value, res };
}

export const cookieHeader = (jwt: string) => ({ cookie: `session=${jwt}` });
export const authorizationCookie = (jwt: string) => ({ authorization: `Cookie session=${jwt}` });

export const SECOND = 1000;
export const MINUTE = 60 * SECOND;
export const DAY = 24 * 60 * MINUTE;

/** A prefix that no other test's users share, for `q` searches. */
export function uniqueTag(): string {
  return `t${Math.random().toString(36).slice(2, 8)}`;
}

/**
 * Grants one permission directly in storage (the rpc dialect has no assignment
 * methods yet). `orgId` '' is a global grant.
 */
export async function grantPermission(
  server: TestServer,
  userId: string,
  name: string,
  options: { orgId?: string; resourceId?: string } = {},
): Promise<string> {
  const appId = server.services.defaultApp.id;
  const db = server.services.store.db;
  const permission = await db
    .selectFrom('permissions')
    .select('id')
    .where('app_id', '=', appId)
    .where('name', '=', name)
    .executeTakeFirstOrThrow();
  await db
    .insertInto('permission_grants')
    .values({
      id: newId(),
      app_id: appId,
      user_id: userId,
      permission_id: permission.id,
      org_id: options.orgId ?? '',
      resource_id: options.resourceId ?? '',
      created_at: server.clock.now(),
    })
    .execute();
  return permission.id;
}

let clientCounter = 0;

/**
 * The same server, but every injected request comes from its own client address.
 * Sign-in is throttled per client address as well as per account; these suites sign
 * in far more often than one real client would, and are not about throttling.
 */
export function fromManyClients(server: TestServer): TestServer {
  return {
    ...server,
    inject: (options) => {
      clientCounter++;
      const address = `10.${(clientCounter >> 16) & 255}.${(clientCounter >> 8) & 255}.${clientCounter & 255}`;
      return server.inject({ remoteAddress: address, ...(options as object) } as typeof options);
    },
  };
}
