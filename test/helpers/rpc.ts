import type { LightMyRequestResponse } from 'fastify';
import type { TestServer } from './server.js';

export interface RpcResponse {
  status: number;
  body: Record<string, unknown> & {
    ok?: boolean;
    error?: { code: number; message: string; [k: string]: unknown };
  };
  headers: LightMyRequestResponse['headers'];
  cookies: Array<{ name: string; value: string; [k: string]: unknown }>;
  raw: LightMyRequestResponse;
}

/** Calls `POST /api/<method>` through the real HTTP layer (inject). */
export async function rpc(
  server: TestServer,
  method: string,
  body?: unknown,
  headers: Record<string, string> = {},
): Promise<RpcResponse> {
  const raw = await server.inject({
    method: 'POST',
    url: `${server.config.rpc.prefix}/${method}`,
    headers: body === undefined ? headers : { 'content-type': 'application/json', ...headers },
    ...(body === undefined ? {} : { payload: JSON.stringify(body) }),
  });
  let parsed: RpcResponse['body'] = {};
  try {
    parsed = raw.body ? (JSON.parse(raw.body) as RpcResponse['body']) : {};
  } catch {
    parsed = { raw: raw.body };
  }
  return {
    status: raw.statusCode,
    body: parsed,
    headers: raw.headers,
    cookies: raw.cookies as RpcResponse['cookies'],
    raw,
  };
}

export const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

/** Signs in with issueToken and returns the token. */
export async function signIn(
  server: TestServer,
  user: string,
  password: string,
  extra: Record<string, unknown> = {},
): Promise<string> {
  const res = await rpc(server, 'session.issueToken', { user, password, ...extra });
  if (res.body.ok !== true) throw new Error(`sign-in failed: ${JSON.stringify(res.body)}`);
  return res.body['token'] as string;
}
