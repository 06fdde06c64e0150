import type { LightMyRequestResponse } from 'fastify';
import type { App } from '../../src/identity/types.js';
import type { TemplateVars } from '../../src/mail/index.js';
import type { Backend } from '../helpers/backends.js';
import { startTestServer, type TestServer, type TestServerOptions } from '../helpers/server.js';

export interface AppsResponse {
  status: number;
  body: Record<string, unknown>;
  headers: LightMyRequestResponse['headers'];
  raw: LightMyRequestResponse;
}

export interface CallOptions {
  /** A JSON value, sent as application/json. */
  json?: unknown;
  /** Sent as is (with `contentType`, application/json by default). */
  payload?: string | Buffer;
  contentType?: string;
  token?: string;
  headers?: Record<string, string>;
  method?: 'POST' | 'GET' | 'PUT' | 'PATCH' | 'DELETE';
  /** A client address (needs trustProxy); inject's is 127.0.0.1. */
  remoteAddress?: string;
}

/** `POST /api/v2/apps/<app>/<path>` through the real HTTP layer (and the contract check). */
export async function apps(
  server: TestServer,
  app: string,
  path: string,
  options: CallOptions = {},
): Promise<AppsResponse> {
  const headers: Record<string, string> = { ...options.headers };
  let payload: string | Buffer | undefined;
  if (options.json !== undefined) {
    payload = JSON.stringify(options.json);
    headers['content-type'] = options.contentType ?? 'application/json';
  } else if (options.payload !== undefined) {
    payload = options.payload;
    headers['content-type'] = options.contentType ?? 'application/json';
  }
  if (options.token !== undefined) headers['authorization'] = `Bearer ${options.token}`;
  const raw = await server.inject({
    method: options.method ?? 'POST',
    url: `/api/v2/apps/${app}${path}`,
    headers,
    ...(payload === undefined ? {} : { payload }),
    ...(options.remoteAddress ? { remoteAddress: options.remoteAddress } : {}),
  });
  let body: Record<string, unknown> = {};
  try {
    body = raw.body ? (JSON.parse(raw.body) as Record<string, unknown>) : {};
  } catch {
    body = { unparsed: raw.body };
  }
  return { status: raw.statusCode, body, headers: raw.headers, raw };
}

export async function startAppsServer(
  backend: Backend,
  options: TestServerOptions = {},
): Promise<TestServer & { mails: Array<{ appId: string; to: string; vars: TemplateVars }> }> {
  const server = await startTestServer(backend, options);
  const mails: Array<{ appId: string; to: string; vars: TemplateVars }> = [];
  // Watch what is queued (the mail still goes through the real outbox).
  const mail = server.services.mail;
  const enqueue = mail.enqueue.bind(mail);
  mail.enqueue = async (appId, to, template, vars) => {
    mails.push({ appId, to, vars });
    return enqueue(appId, to, template, vars);
  };
  return Object.assign(server, { mails });
}

export function createApp(server: TestServer, qname: string): Promise<App> {
  return server.services.appsCore.tenancy.create(qname);
}

/** Creates a login through the core and runs its provisioning to the end. */
export async function readyLogin(
  server: TestServer,
  app: App,
  login: string,
  password: string,
  options: { email?: string | null; subjectKind?: 1 | 2 } = {},
) {
  const user = await server.services.appsCore.logins.createLogin(app, {
    login,
    password,
    email: options.email ?? null,
    fullName: null,
    subjectKind: options.subjectKind ?? 1,
  });
  await server.services.appsCore.worker.runDue();
  return user;
}

export async function signIn(
  server: TestServer,
  app: string,
  login: string,
  password: string,
): Promise<string> {
  const res = await apps(server, app, '/auth/login', { json: { login, password } });
  if (res.status !== 200) throw new Error(`sign-in failed: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body['principalToken'] as string;
}

export function claimsOf(token: string): Record<string, unknown> {
  return JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString()) as Record<string, unknown>;
}

export function headerOf(token: string): Record<string, unknown> {
  return JSON.parse(Buffer.from(token.split('.')[0]!, 'base64url').toString()) as Record<string, unknown>;
}

/** A promise and its resolve/reject, to hold a provisioning step open. */
export function gate<T = void>() {
  let resolve!: (value: T) => void;
  let reject!: (err: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

/** The `{status, message}` error object, exactly. */
export function isAppsError(body: Record<string, unknown>, status: number): boolean {
  return (
    Object.keys(body).join(',') === 'status,message' &&
    body['status'] === status &&
    typeof body['message'] === 'string'
  );
}

/** The app forged-tokens.test.ts probes (made on first use). */
export const PROBE_APP = 'forged/tokens';

/** The status an authenticated apps route answers `token` with. */
export async function probeApps(server: TestServer, path: string, token: string): Promise<number> {
  await server.services.apps.ensure(PROBE_APP);
  return (await apps(server, PROBE_APP, path, { token })).status;
}

/** A genuine principal token of PROBE_APP, in a session of its own. */
export async function probePrincipal(server: TestServer): Promise<string> {
  const app = await server.services.apps.ensure(PROBE_APP);
  const login = `probe${Math.random().toString(36).slice(2, 10)}`;
  await readyLogin(server, app, login, 'probe-password-1');
  return signIn(server, PROBE_APP, login, 'probe-password-1');
}
