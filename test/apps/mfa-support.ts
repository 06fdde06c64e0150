import assert from 'node:assert/strict';
import type { App } from '../../src/identity/types.js';
import { codeAt } from '../../src/mfa/index.js';
import type { TestServer } from '../helpers/server.js';
import { type AppsResponse, apps, readyLogin, signIn } from './support.js';

export const ENROLL = '/auth/mfa/totp/enroll';
export const ACTIVATE = '/auth/mfa/totp/activate';
export const EJECT = '/auth/mfa/totp/eject';
export const RECOVERY_CODES = '/auth/mfa/recovery-codes';

export interface MfaLogin {
  userId: string;
  login: string;
  password: string;
  /** A principal token from before MFA was switched on. */
  token: string;
  secret: string;
  /** The code of the clock's current step. */
  code(): string;
}

/** `POST …/auth/mfa/totp/enroll`, confirmed with the login's password. */
export function enrol(
  server: TestServer,
  qname: string,
  token: string,
  password: string,
): Promise<AppsResponse> {
  return apps(server, qname, ENROLL, {
    token,
    json: { secondaryAuthFactor: { type: 'PASSWORD', token: password } },
  });
}

/** A ready login with TOTP enrolled and activated through the dialect; the clock is past the activation's step. */
export async function mfaLogin(
  server: TestServer,
  app: App,
  qname: string,
  login: string,
  password = `${login}-password-1`,
): Promise<MfaLogin> {
  const user = await readyLogin(server, app, login, password);
  const token = await signIn(server, qname, login, password);
  const enrolled = await enrol(server, qname, token, password);
  assert.equal(enrolled.status, 200, JSON.stringify(enrolled.body));
  const secret = enrolled.body['secret'] as string;
  const activated = await apps(server, qname, ACTIVATE, {
    token,
    json: { secret, code: codeAt(secret, server.clock.now()) },
  });
  assert.equal(activated.status, 204, JSON.stringify(activated.body));
  // The activation used the current step up: sign-ins take the next one.
  server.clock.advance(30_000);
  return { userId: user.id, login, password, token, secret, code: () => codeAt(secret, server.clock.now()) };
}

/** `POST …/auth/login` with an optional second factor. */
export function login(
  server: TestServer,
  qname: string,
  who: { login: string; password: string },
  secondaryAuthFactor?: unknown,
): Promise<AppsResponse> {
  return apps(server, qname, '/auth/login', {
    json: {
      login: who.login,
      password: who.password,
      ...(secondaryAuthFactor === undefined ? {} : { secondaryAuthFactor }),
    },
  });
}

/** A six-digit code valid at no step the server accepts now (so a "wrong code" test cannot pass by luck). */
export function wrongCode(server: TestServer, secret: string): string {
  const now = server.clock.now();
  const valid = [-30_000, 0, 30_000].map((offset) => codeAt(secret, now + offset));
  return ['000000', '111111', '222222', '333333'].find((c) => !valid.includes(c))!;
}
