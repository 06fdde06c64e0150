import assert from 'node:assert/strict';
import { spaSettings } from '../../../src/config/spa.js';
import { codeAt } from '../../../src/mfa/index.js';
import { seedUser } from '../server.js';
import { cookieValue, type Recorder } from './recorder.js';

/**
 * The spa dialect's secret-bearing answers: the password, alias, login-link and MFA
 * sign-ins (hosted page and its API twin) with their refresh cookies, refresh and
 * sign-out, and the admin routes that hand out a login link.
 */
export async function spaFlows(r: Recorder): Promise<void> {
  const { server } = r;
  const settings = spaSettings(server.config);
  const prefix = settings.prefix;
  const name = settings.cookie.name;
  const op = (path: string) => `POST ${prefix}${path}`;
  /** A sign-in answer: its access token and refresh cookie are secrets; returns the cookie. */
  const signedIn = (
    label: string,
    res: { body: Record<string, unknown>; res: Parameters<typeof cookieValue>[0] },
  ) => {
    r.jwt(`spa ${label} access token`, res.body['accessToken']);
    const cookie = cookieValue(res.res, name);
    assert.ok(cookie, `${label}: the refresh cookie is set`);
    r.secret(`spa ${label} refresh cookie secret`, cookie.split('.')[1]);
    return cookie;
  };

  const password = r.secret('spa password', 'Spa-Flow-Password-Chosen-1');
  const user = await seedUser(server, { password });
  const email = user.emails[0]!.address;
  const first = signedIn('login', await r.post(op('/login'), `${prefix}/login`, { email, password }, 200));
  const second = signedIn(
    'refresh',
    await r.post(op('/refresh'), `${prefix}/refresh`, undefined, 200, { cookie: `${name}=${first}` }),
  );
  await r.post(op('/logout'), `${prefix}/logout`, undefined, 200, { cookie: `${name}=${second}` });

  // Aliases and login links come from the admin API, which needs an administrator's token.
  const admin = await seedUser(server, { superuser: true });
  const adminToken = (
    await r.post(
      `POST ${server.config.rpc.prefix}/session.issueToken`,
      `${server.config.rpc.prefix}/session.issueToken`,
      {
        user: admin.username,
        password: admin.password,
      },
      200,
    )
  ).body['token'] as string;
  const asAdmin = { authorization: `Bearer ${adminToken}` };
  await r.post(
    'POST /admin/aliases',
    '/admin/aliases',
    { userId: user.id, surveyId: 'hygiene-survey', userName: 'hygiene-alias' },
    201,
    asAdmin,
  );
  signedIn(
    'alias',
    await r.post(
      op('/login/alias'),
      `${prefix}/login/alias`,
      { userName: 'hygiene-alias', password, surveyId: 'hygiene-survey' },
      200,
    ),
  );
  const link = await r.post(
    'POST /admin/login-links',
    '/admin/login-links',
    { userId: user.id, surveyId: 'hygiene-survey' },
    201,
    asAdmin,
  );
  const linkToken = r.secret('spa login-link token', link.body['token']);
  signedIn(
    'login-link',
    await r.post(op('/login/token'), `${prefix}/login/token`, { token: linkToken }, 200),
  );

  await mfaFlows(r, op, signedIn);
}

/** An MFA user answers the challenge once on the hosted page and once through its API twin. */
async function mfaFlows(
  r: Recorder,
  op: (path: string) => string,
  signedIn: (
    label: string,
    res: { body: Record<string, unknown>; res: Parameters<typeof cookieValue>[0] },
  ) => string,
): Promise<void> {
  const { server } = r;
  const prefix = spaSettings(server.config).prefix;
  const password = r.secret('spa MFA password', 'Spa-Flow-Mfa-Password-2');
  const user = await seedUser(server, { password });
  const { secret } = await server.services.mfa.enroll(user, user.username ?? 'user');
  r.secret('spa TOTP secret', secret);
  await server.services.mfa.activate(user, secret, codeAt(secret, server.clock.now()));
  const challenge = async (label: string) => {
    server.clock.advance(30_000);
    const res = await r.post(
      op('/login'),
      `${prefix}/login`,
      { email: user.emails[0]!.address, password },
      200,
    );
    return r.jwt(
      `spa MFA ${label} challenge`,
      (res.body['mfa'] as { request?: string } | undefined)?.request,
    );
  };

  const request = await challenge('page');
  const page = await r.send('GET /mfa/challenge', {
    method: 'GET',
    url: `/mfa/challenge?request=${encodeURIComponent(request)}`,
  });
  assert.equal(page.statusCode, 200, page.body);
  const answered = await r.send('POST /mfa/challenge', {
    method: 'POST',
    url: '/mfa/challenge',
    headers: { 'content-type': 'application/x-www-form-urlencoded', 'sec-fetch-site': 'same-origin' },
    payload: new URLSearchParams({ request, code: codeAt(secret, server.clock.now()) }).toString(),
  });
  assert.equal(answered.statusCode, 200, answered.body);
  const shown = /<textarea[^>]*>([^<]+)<\/textarea>/.exec(answered.body)?.[1];
  const sigResponse = r.jwt('spa MFA page sigResponse', shown);
  signedIn('MFA page', await r.post(op('/login/verify'), `${prefix}/login/verify`, { sigResponse }, 200));

  const again = await challenge('API');
  const responded = await r.post(
    'POST /mfa/challenge/respond',
    '/mfa/challenge/respond',
    {
      request: again,
      code: codeAt(secret, server.clock.now()),
    },
    200,
  );
  const viaApi = r.jwt('spa MFA API sigResponse', responded.body['sigResponse']);
  signedIn(
    'MFA API',
    await r.post(op('/login/verify'), `${prefix}/login/verify`, { sigResponse: viaApi }, 200),
  );
}
