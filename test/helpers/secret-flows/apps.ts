import assert from 'node:assert/strict';
import type { App } from '../../../src/identity/types.js';
import { codeAt } from '../../../src/mfa/index.js';
import { readyLogin } from '../../apps/support.js';
import type { Recorder } from './recorder.js';

const APP = 'hygiene/portal';
const BASE = `/api/v2/apps/${APP}`;
const op = (path: string) => `POST /api/v2/apps/{owner}/{app}${path}`;

/**
 * The apps dialect's secret-bearing answers: sign-in, refresh and sign-out of a
 * principal token, the email-code sign-up, a device's generated credentials, a
 * password change, and MFA: TOTP enrolment and activation, recovery codes, and sign-in
 * with a TOTP code and with a recovery code.
 */
export async function appsFlows(r: Recorder): Promise<void> {
  const { server } = r;
  const app = await server.services.appsCore.tenancy.create(APP);
  const password = r.secret('apps password', 'Apps-Flow-Password-Chosen-1');
  await readyLogin(server, app, 'hygiene-login', password);

  const login = (pw: string) =>
    r.post(op('/auth/login'), `${BASE}/auth/login`, { login: 'hygiene-login', password: pw }, 200);
  const token = r.jwt('apps principal token', (await login(password)).body['principalToken']);
  const refreshed = r.jwt(
    'apps refreshed principal token',
    (
      await r.post(op('/auth/refresh'), `${BASE}/auth/refresh`, undefined, 200, {
        authorization: `Bearer ${token}`,
      })
    ).body['principalToken'],
  );
  await r.post(op('/auth/logout'), `${BASE}/auth/logout`, undefined, 204, {
    authorization: `Bearer ${refreshed}`,
  });

  const email = 'hygiene-signup@example.com';
  const requested = await r.post(op('/users/email-code'), `${BASE}/users/email-code`, { email }, 200);
  const verified = await r.post(
    op('/users/email-code/verify'),
    `${BASE}/users/email-code/verify`,
    { verificationToken: requested.body['verificationToken'], code: (await r.mailTo(email)).code },
    200,
  );
  const verifiedEmailToken = r.jwt('apps verified-email token', verified.body['verifiedEmailToken']);
  await r.post(
    op('/users'),
    `${BASE}/users`,
    {
      verifiedEmailToken,
      displayName: 'Signed Up',
      password: r.secret('apps sign-up password', 'Apps-Flow-Signup-Password-2'),
    },
    201,
  );

  const device = await r.post(op('/devices'), `${BASE}/devices`, undefined, 201);
  r.secret('apps device password', device.body['password']);

  await r.post(
    op('/users/change-password'),
    `${BASE}/users/change-password`,
    {
      login: 'hygiene-login',
      oldPassword: password,
      newPassword: r.secret('apps changed password', 'Apps-Flow-Password-Changed-3'),
    },
    200,
  );
  // A sign-in after the change, so the new password has been checked too.
  r.jwt(
    'apps principal token after change',
    (await login('Apps-Flow-Password-Changed-3')).body['principalToken'],
  );

  await mfaFlows(r, app);
}

/**
 * A second login switches TOTP on through the dialect, takes recovery codes (confirmed
 * with its password), then signs in with a TOTP code and with a recovery code. Its own
 * login, so the first one's sign-ins above need no second factor.
 */
async function mfaFlows(r: Recorder, app: App): Promise<void> {
  const { server } = r;
  const login = 'hygiene-mfa';
  const password = r.secret('apps MFA password', 'Apps-Flow-Mfa-Password-4');
  await readyLogin(server, app, login, password);
  const signIn = async (label: string, secondaryAuthFactor?: { type: string; token: string }) =>
    r.jwt(
      label,
      (
        await r.post(
          op('/auth/login'),
          `${BASE}/auth/login`,
          { login, password, ...(secondaryAuthFactor ? { secondaryAuthFactor } : {}) },
          200,
        )
      ).body['principalToken'],
    );
  const bearer = { authorization: `Bearer ${await signIn('apps MFA principal token')}` };

  const enrolled = await r.post(
    op('/auth/mfa/totp/enroll'),
    `${BASE}/auth/mfa/totp/enroll`,
    { secondaryAuthFactor: { type: 'PASSWORD', token: password } },
    200,
    bearer,
  );
  const secret = r.secret('apps TOTP secret', enrolled.body['secret']);
  assert.ok(String(enrolled.body['otpauthUri']).includes(`secret=${secret}`), 'the URI carries the secret');
  await r.post(
    op('/auth/mfa/totp/activate'),
    `${BASE}/auth/mfa/totp/activate`,
    { secret, code: codeAt(secret, server.clock.now()) },
    204,
    bearer,
  );
  // The activation used the current step's code: the sign-in below takes the next one.
  server.clock.advance(30_000);

  const generated = await r.post(
    op('/auth/mfa/recovery-codes'),
    `${BASE}/auth/mfa/recovery-codes`,
    { secondaryAuthFactor: { type: 'PASSWORD', token: password } },
    200,
    bearer,
  );
  const codes = generated.body['recoveryCodes'] as string[];
  assert.equal(codes.length, 10, JSON.stringify(generated.body));
  codes.forEach((code, i) => {
    r.secret(`apps recovery code ${i}`, code);
  });
  // As a user may type it (dashes do not matter): that form must not be stored or logged either.
  const typed = r.secret('apps recovery code 0 (typed)', codes[0]!.replace(/-/g, ''));

  // MFA is on: the password alone no longer signs in, so the two sign-ins below checked a factor.
  const refused = await r.post(op('/auth/login'), `${BASE}/auth/login`, { login, password }, 401);
  assert.match(String(refused.body['message']), /a second factor is required/);
  await signIn('apps principal token after TOTP', {
    type: 'TOTP',
    token: codeAt(secret, server.clock.now()),
  });
  await signIn('apps principal token after recovery code', { type: 'RECOVERY_CODE', token: typed });
}
