import assert from 'node:assert/strict';
import { codeAt } from '../../../src/mfa/index.js';
import { seedUser } from '../server.js';
import { cookieValue, type Recorder } from './recorder.js';

/**
 * The rpc dialect's secret-bearing answers, each reached for real: bearer and cookie
 * sign-in, refresh and sign-out, cookie auto-renew, TOTP enrolment and recovery codes,
 * and the password-reset page its mail links to.
 */
export async function rpcFlows(r: Recorder): Promise<void> {
  const { server } = r;
  const api = server.config.rpc.prefix;
  const cookieName = server.config.cookie.name;
  const password = r.secret('rpc password', 'Rpc-Flow-Password-Chosen-1');
  const user = await seedUser(server, { password });
  const op = (method: string) => `POST ${api}/${method}`;
  const call = (method: string, body: unknown, headers: Record<string, string> = {}) =>
    r.post(op(method), `${api}/${method}`, body, 200, headers);

  const issued = r.jwt(
    'rpc token',
    (await call('session.issueToken', { user: user.username, password })).body['token'],
  );
  const refreshed = r.jwt(
    'rpc refreshed token',
    (await call('session.refreshToken', { token: issued })).body['token'],
  );
  const bearer = { authorization: `Bearer ${refreshed}` };

  const confirmed = { secondaryAuthFactor: { type: 'PASSWORD', token: password } };
  const enrolled = (await call('totp.enroll', { userId: user.id, ...confirmed }, bearer)).body['totp'] as {
    secret: string;
  };
  const totpSecret = r.secret('rpc TOTP secret', enrolled.secret);
  const activated = await call(
    'totp.activate',
    { userId: user.id, secret: totpSecret, token: codeAt(totpSecret, server.clock.now()) },
    bearer,
  );
  assert.equal(activated.body['ok'], true, JSON.stringify(activated.body));
  server.clock.advance(30_000);
  const codes = (
    await call(
      'totp.generateRecoveryCodes',
      { userId: user.id, secondaryAuthFactor: { type: 'PASSWORD', token: password } },
      bearer,
    )
  ).body['recoveryCodes'] as string[];
  r.secret('rpc recovery code', codes[0]);

  const mfa = { secondaryAuthFactor: { type: 'TOTP', token: codeAt(totpSecret, server.clock.now()) } };
  const set = await call('session.setCookie', { user: user.username, password, ...mfa });
  const cookie = r.jwt('rpc session cookie', cookieValue(set.res, cookieName));
  const renewed = r.jwt(
    'rpc refreshed cookie',
    cookieValue(
      (await call('session.refreshCookie', undefined, { cookie: `${cookieName}=${cookie}` })).res,
      cookieName,
    ),
  );
  // Auto-renew: a session method given an expired cookie of a live session sets a new one.
  server.clock.advance((server.config.bearerTtlSeconds + 60) * 1000);
  const info = await call('user.info', {}, { cookie: `${cookieName}=${renewed}` });
  assert.equal(info.body['ok'], true, JSON.stringify(info.body));
  const autoRenewed = r.jwt('rpc auto-renewed cookie', cookieValue(info.res, cookieName));
  await call('session.destroyCookie', undefined, { cookie: `${cookieName}=${autoRenewed}` });
  await call('session.destroyToken', { token: refreshed });

  // A second user without a second factor: the reset page then needs nothing but the new password.
  const forgetful = await seedUser(server);
  await call('user.forgotPassword', { userKey: forgetful.username });
  const link = new URL((await r.mailTo(forgetful.emails[0]!.address)).link!);
  const resetToken = r.secret('rpc reset token', link.searchParams.get('token'));
  const form = await r.send('GET /reset-password', { method: 'GET', url: `/reset-password${link.search}` });
  assert.equal(form.statusCode, 200, form.body);
  const done = await r.send('POST /reset-password', {
    method: 'POST',
    url: '/reset-password',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    payload: new URLSearchParams({
      token: resetToken,
      password: r.secret('rpc new password', 'Rpc-Flow-Password-Reset-2'),
    }).toString(),
  });
  assert.equal(done.statusCode, 200, done.body);
}
