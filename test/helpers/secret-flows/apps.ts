import { readyLogin } from '../../apps/support.js';
import type { Recorder } from './recorder.js';

const APP = 'hygiene/portal';
const BASE = `/api/v2/apps/${APP}`;
const op = (path: string) => `POST /api/v2/apps/{owner}/{app}${path}`;

/**
 * The apps dialect's secret-bearing answers: sign-in, refresh and sign-out of a
 * principal token, the email-code sign-up, a device's generated credentials and a
 * password change.
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
}
