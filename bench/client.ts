import { BENCH_PASSWORD, randomClientAddress } from './users.js';

export const RPC_PREFIX = '/api';
export const COOKIE_NAME = 'session';

export interface RpcAnswer {
  status: number;
  text: string;
  json: Record<string, unknown>;
  headers: Headers;
}

/** One rpc call over the loopback interface, bounded in time. */
export async function rpc(
  baseUrl: string,
  method: string,
  body: unknown,
  headers: Record<string, string> = {},
): Promise<RpcAnswer> {
  const res = await fetch(`${baseUrl}${RPC_PREFIX}/${method}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body),
    signal: AbortSignal.timeout(30_000),
  });
  const text = await res.text();
  let json: Record<string, unknown> = {};
  try {
    json = JSON.parse(text) as Record<string, unknown>;
  } catch {
    // not JSON: json stays empty, text tells
  }
  return { status: res.status, text, json, headers: res.headers };
}

function expectOk(method: string, answer: RpcAnswer): void {
  if (answer.status !== 200 || answer.json['ok'] !== true)
    throw new Error(`${method} failed: HTTP ${answer.status} ${answer.text.slice(0, 300)}`);
}

/** A bearer token from session.issueToken. */
export async function issueToken(baseUrl: string, user: string): Promise<string> {
  const answer = await rpc(
    baseUrl,
    'session.issueToken',
    { user, password: BENCH_PASSWORD },
    { 'x-forwarded-for': randomClientAddress() },
  );
  expectOk('session.issueToken', answer);
  const token = answer.json['token'];
  if (typeof token !== 'string') throw new Error('session.issueToken answered without a token');
  return token;
}

/** The `session=<jwt>` pair from session.setCookie's Set-Cookie. */
export async function sessionCookie(baseUrl: string, user: string): Promise<string> {
  const answer = await rpc(
    baseUrl,
    'session.setCookie',
    { user, password: BENCH_PASSWORD },
    { 'x-forwarded-for': randomClientAddress() },
  );
  expectOk('session.setCookie', answer);
  const cookie = answer.headers.getSetCookie().find((c) => c.startsWith(`${COOKIE_NAME}=`));
  if (!cookie) throw new Error('session.setCookie answered without the session cookie');
  return cookie.split(';')[0]!;
}

/** Signs in each of `users` (a few at a time, as sign-in is argon2-bound) and returns their credentials. */
export async function signInAll(
  users: string[],
  signIn: (user: string) => Promise<string>,
  concurrency = 4,
): Promise<string[]> {
  const out: string[] = new Array(users.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(concurrency, users.length) }, async () => {
      for (let i = next++; i < users.length; i = next++) out[i] = await patiently(() => signIn(users[i]!));
    }),
  );
  return out;
}

/**
 * Retries a sign-in the server refused with 503 (its hash queue full: on a machine busy
 * with other work, hashing is slower than the server expects), up to ten times a second apart.
 */
async function patiently(signIn: () => Promise<string>): Promise<string> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await signIn();
    } catch (err) {
      if (attempt >= 10 || !(err instanceof Error && err.message.includes('HTTP 503'))) throw err;
      await new Promise((resolve) => setTimeout(resolve, 1000));
    }
  }
}

/** Fails loudly when a request the scenario is about to hammer does not actually succeed. */
export async function expectRpcOk(
  baseUrl: string,
  method: string,
  body: unknown,
  headers: Record<string, string>,
): Promise<RpcAnswer> {
  const answer = await rpc(baseUrl, method, body, headers);
  expectOk(method, answer);
  return answer;
}
