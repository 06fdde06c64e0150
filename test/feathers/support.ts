import assert from 'node:assert/strict';
import type { LightMyRequestResponse } from 'fastify';
import type { ParsedMail } from 'mailparser';
import type { Backend } from '../helpers/backends.js';
import { seedUser, startTestServer, type TestServer, type TestServerOptions } from '../helpers/server.js';
import { startSmtp, type TestSmtp } from '../helpers/smtp.js';

export interface FeathersTestServer extends TestServer {
  smtp: TestSmtp;
}

export const PUBLIC_URL = 'https://auth.example.test/base';
export const ALLOWED_ORIGIN = 'https://app.example.test';

/**
 * A test server with the feathers dialect, sending its mail over real SMTP to a server
 * the test owns (so activation links are read from real messages, not from storage).
 */
export async function startFeathersServer(
  backend: Backend,
  options: TestServerOptions = {},
): Promise<FeathersTestServer> {
  const smtp = await startSmtp();
  try {
    const server = await startTestServer(backend, {
      ...options,
      overrides: {
        'mail.transport': 'smtp',
        'mail.smtpUrl': smtp.url,
        publicUrl: PUBLIC_URL,
        'feathers.redirectOrigins': `${ALLOWED_ORIGIN}, http://localhost:3000`,
        ...options.overrides,
      },
    });
    return {
      ...server,
      smtp,
      close: async () => {
        await server.close();
        await smtp.close();
      },
    };
  } catch (err) {
    await smtp.close();
    throw err;
  }
}

export interface Answer {
  status: number;
  body: Record<string, unknown>;
  headers: LightMyRequestResponse['headers'];
  raw: LightMyRequestResponse;
}

function answer(raw: LightMyRequestResponse): Answer {
  let body: Record<string, unknown> = {};
  try {
    body = raw.body ? (JSON.parse(raw.body) as Record<string, unknown>) : {};
  } catch {
    body = { raw: raw.body };
  }
  return { status: raw.statusCode, body, headers: raw.headers, raw };
}

/** A JSON request through the contract-checked inject. */
export async function call(
  server: TestServer,
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE' | 'HEAD',
  url: string,
  body?: unknown,
  headers: Record<string, string> = {},
): Promise<Answer> {
  const raw = await server.inject({
    method,
    url,
    headers: body === undefined ? headers : { 'content-type': 'application/json', ...headers },
    ...(body === undefined ? {} : { payload: JSON.stringify(body) }),
  });
  return answer(raw);
}

export const post = (server: TestServer, url: string, body?: unknown, headers: Record<string, string> = {}) =>
  call(server, 'POST', url, body, headers);

/** Asserts the exact Feathers error shape: `{name, message, code, className, errors}` (+ data when given). */
export function assertFeathersError(
  res: Answer,
  status: number,
  name: string,
  message?: string | RegExp,
): void {
  assert.equal(res.status, status, JSON.stringify(res.body));
  const keys = Object.keys(res.body).sort();
  assert.ok(
    JSON.stringify(keys) === JSON.stringify(['className', 'code', 'errors', 'message', 'name']) ||
      JSON.stringify(keys) === JSON.stringify(['className', 'code', 'data', 'errors', 'message', 'name']),
    `Feathers error keys: ${keys.join(', ')}`,
  );
  assert.equal(res.body['name'], name);
  assert.equal(res.body['code'], status);
  assert.equal(res.body['className'], name.replace(/([a-z])([A-Z])/g, '$1-$2').toLowerCase());
  assert.equal(typeof res.body['errors'], 'object');
  assert.match(String(res.headers['content-type']), /^application\/json/);
  if (typeof message === 'string') assert.equal(res.body['message'], message);
  else if (message) assert.match(String(res.body['message']), message);
}

/** Edumaps' 401 for every credential failure, byte for byte. */
export const INVALID_LOGIN = {
  name: 'NotAuthenticated',
  message: 'Invalid login',
  code: 401,
  className: 'not-authenticated',
  errors: {},
};

/** The seed's 401 for an account waiting for activation, byte for byte. */
export const NOT_ACTIVATED = {
  name: 'NotAuthenticated',
  message: 'Not Activated',
  code: 401,
  className: 'not-authenticated',
  errors: {},
};

/** A user created through the core with a verified address, ready to sign in. */
export async function feathersUser(server: TestServer, email?: string) {
  const user = await seedUser(server, email ? { email } : {});
  return { ...user, email: user.emails[0]!.address };
}

export async function login(server: TestServer, email: string, password: string): Promise<string> {
  const res = await post(server, '/auth/login', { email, password });
  assert.equal(res.status, 201, JSON.stringify(res.body));
  return res.body['token'] as string;
}

export function claims(token: string): Record<string, unknown> {
  return JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString()) as Record<string, unknown>;
}

/** The path and query of the activation link in a mail (its origin is the configured public URL). */
export function activationPath(mail: ParsedMail): { link: URL; path: string } {
  const match = /https?:\/\/\S+\/activate\?\S+/.exec(mail.text ?? '');
  assert.ok(match, `no activation link in: ${mail.text}`);
  const link = new URL(match[0]);
  return { link, path: `${link.pathname.replace(/^\/base/, '')}${link.search}` };
}

/** Waits for the nth message (1-based) to reach the test's SMTP server, and returns it. */
export async function nthMail(server: FeathersTestServer, n: number): Promise<ParsedMail> {
  const all = await server.smtp.waitFor(n);
  return all[n - 1]!;
}

/** How many messages the outbox holds for an address (sent or not): what the server decided to send. */
export async function outboxCount(server: TestServer, address: string): Promise<number> {
  const rows = await server.services.store.db
    .selectFrom('mail_outbox')
    .select('id')
    .where('to_address', '=', address)
    .execute();
  return rows.length;
}
