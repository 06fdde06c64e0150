import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { App } from '../../src/identity/types.js';
import { backends } from '../helpers/backends.js';
import {
  apps,
  claimsOf,
  createApp,
  headerOf,
  isAppsError,
  readyLogin,
  signIn,
  startAppsServer,
} from './support.js';

const PORTAL = 'acme/portal';

for (const backend of await backends()) {
  describe(`apps dialect: email codes and sign-up (${backend.name})`, () => {
    let server: Awaited<ReturnType<typeof startAppsServer>>;
    let portal: App;
    before(async () => {
      server = await startAppsServer(backend);
      portal = await createApp(server, PORTAL);
      await createApp(server, 'acme/other');
    });
    after(async () => server.close());

    /** The whole flow up to a verified-email token. */
    async function verifiedToken(email: string, app = PORTAL): Promise<string> {
      const requested = await apps(server, app, '/users/email-code', { json: { email } });
      assert.equal(requested.status, 200, JSON.stringify(requested.body));
      const code = server.mails.findLast((m) => m.to === email)!.vars.code!;
      const verified = await apps(server, app, '/users/email-code/verify', {
        json: { verificationToken: requested.body['verificationToken'], code },
      });
      assert.equal(verified.status, 200, JSON.stringify(verified.body));
      return verified.body['verifiedEmailToken'] as string;
    }

    test('email-code 200: a 6-digit code is mailed, only its HMAC is stored, and the answer says nothing about the address', async () => {
      const fresh = await apps(server, PORTAL, '/users/email-code', { json: { email: 'new@example.com' } });
      await readyLogin(server, portal, 'taken@example.com', 'taken-password-1', {
        email: 'taken@example.com',
      });
      const taken = await apps(server, PORTAL, '/users/email-code', { json: { email: 'taken@example.com' } });
      for (const res of [fresh, taken]) {
        assert.equal(res.status, 200);
        assert.deepEqual(Object.keys(res.body).sort(), ['expiresInSeconds', 'verificationToken']);
        assert.equal(res.body['expiresInSeconds'], 600);
      }
      const mail = server.mails.findLast((m) => m.to === 'new@example.com')!;
      assert.match(mail.vars.code!, /^\d{6}$/);
      assert.equal(mail.vars.appName, PORTAL);
      const row = await server.services.store.db
        .selectFrom('app_email_codes')
        .selectAll()
        .where('id', '=', fresh.body['verificationToken'] as string)
        .executeTakeFirstOrThrow();
      assert.equal(row.email, 'new@example.com');
      assert.match(row.code_hash, /^[0-9a-f]{64}$/);
      assert.ok(!JSON.stringify(row).includes(mail.vars.code!), 'the code is not stored');
    });

    test('email-code 400: missing, mistyped, empty, not an address, not a possible login', async () => {
      const cases: Array<[unknown, string]> = [
        [{}, 'email field missing'],
        [{ email: 5 }, 'field "email" must be a string: field type mismatch'],
        [{ email: '' }, 'email field is empty'],
        [{ email: 'not an address' }, 'invalid email address: not an address'],
        [{ email: 'Upper@Example.com' }, 'incorrect login format: Upper@Example.com'],
        [[1], 'failed to unmarshal body: the body is not a JSON object'],
      ];
      for (const [json, message] of cases) {
        const res = await apps(server, PORTAL, '/users/email-code', { json });
        assert.deepEqual(res.body, { status: 400, message }, JSON.stringify(json));
      }
      const bad = await apps(server, PORTAL, '/users/email-code', { payload: '{"email":' });
      assert.deepEqual(bad.body, { status: 400, message: 'failed to unmarshal body: invalid JSON' });
      const empty = await apps(server, PORTAL, '/users/email-code');
      assert.deepEqual(empty.body, {
        status: 400,
        message: 'failed to unmarshal body: unexpected end of JSON input',
      });
    });

    test('email-code 429 with Retry-After: 3 codes per address, then growing delays', async () => {
      for (let i = 0; i < 4; i++) {
        assert.equal(
          (await apps(server, PORTAL, '/users/email-code', { json: { email: 'bomb@example.com' } })).status,
          200,
        );
      }
      const res = await apps(server, PORTAL, '/users/email-code', { json: { email: 'bomb@example.com' } });
      assert.equal(res.status, 429);
      assert.equal(res.headers['retry-after'], '60');
      assert.deepEqual(res.body, { status: 429, message: '' });
      server.clock.advance(60_000);
      assert.equal(
        (await apps(server, PORTAL, '/users/email-code', { json: { email: 'bomb@example.com' } })).status,
        200,
      );
    });

    test('verify 200: a verified-email token of kind apps-verified-email, bound to the app, 10 minutes', async () => {
      const token = await verifiedToken('vera@example.com');
      assert.equal(headerOf(token)['typ'], 'apps-verified-email+jwt');
      const claims = claimsOf(token);
      assert.equal(claims['Value'], 'vera@example.com');
      assert.equal(claims['Field'], 'Email');
      assert.equal(claims['aud'], PORTAL);
      assert.equal((claims['exp'] as number) - (claims['iat'] as number), 600);
    });

    test('verify 400: wrong code, unknown token, a code used twice, an expired code, a code of another app', async () => {
      const requested = await apps(server, PORTAL, '/users/email-code', {
        json: { email: 'wanda@example.com' },
      });
      const verificationToken = requested.body['verificationToken'] as string;
      const code = server.mails.findLast((m) => m.to === 'wanda@example.com')!.vars.code!;
      const wrongCode = code === '000000' ? '111111' : '000000';
      const refused = { status: 400, message: 'invalid or expired verification code' };
      assert.deepEqual(
        (
          await apps(server, PORTAL, '/users/email-code/verify', {
            json: { verificationToken, code: wrongCode },
            remoteAddress: '198.51.100.1',
          })
        ).body,
        refused,
      );
      assert.deepEqual(
        (
          await apps(server, PORTAL, '/users/email-code/verify', {
            json: { verificationToken: 'nope', code },
            remoteAddress: '198.51.100.1',
          })
        ).body,
        refused,
      );
      // The same code in another app: refused (and it still works in its own).
      assert.deepEqual(
        (await apps(server, 'acme/other', '/users/email-code/verify', { json: { verificationToken, code } }))
          .body,
        refused,
      );
      assert.equal(
        (await apps(server, PORTAL, '/users/email-code/verify', { json: { verificationToken, code } }))
          .status,
        200,
      );
      assert.deepEqual(
        (await apps(server, PORTAL, '/users/email-code/verify', { json: { verificationToken, code } })).body,
        refused,
        'single use',
      );
      const late = await apps(server, PORTAL, '/users/email-code', { json: { email: 'late@example.com' } });
      const lateCode = server.mails.findLast((m) => m.to === 'late@example.com')!.vars.code!;
      server.clock.advance(600_000);
      assert.deepEqual(
        (
          await apps(server, PORTAL, '/users/email-code/verify', {
            json: { verificationToken: late.body['verificationToken'], code: lateCode },
          })
        ).body,
        refused,
      );
      for (const [json, message] of [
        [{ code }, 'verificationToken field missing'],
        [{ verificationToken, code: 123456 }, 'field "code" must be a string: field type mismatch'],
      ] as const) {
        assert.deepEqual((await apps(server, PORTAL, '/users/email-code/verify', { json })).body, {
          status: 400,
          message,
        });
      }
    });

    test('verify: a code burns after 5 wrong guesses, even when the right one comes next', async () => {
      const requested = await apps(server, PORTAL, '/users/email-code', {
        json: { email: 'guess@example.com' },
      });
      const verificationToken = requested.body['verificationToken'] as string;
      const code = server.mails.findLast((m) => m.to === 'guess@example.com')!.vars.code!;
      for (let i = 0; i < 5; i++) {
        const wrong = String((Number(code) + 1 + i) % 1_000_000).padStart(6, '0');
        assert.equal(
          (
            await apps(server, PORTAL, '/users/email-code/verify', {
              json: { verificationToken, code: wrong },
              remoteAddress: '198.51.100.2',
            })
          ).status,
          400,
        );
      }
      assert.equal(
        (await apps(server, PORTAL, '/users/email-code/verify', { json: { verificationToken, code } }))
          .status,
        400,
      );
    });

    test('verify: 20 parallel checks of the right code, exactly one token', async () => {
      const requested = await apps(server, PORTAL, '/users/email-code', {
        json: { email: 'race@example.com' },
      });
      const verificationToken = requested.body['verificationToken'] as string;
      const code = server.mails.findLast((m) => m.to === 'race@example.com')!.vars.code!;
      const answers = await Promise.all(
        Array.from({ length: 20 }, () =>
          apps(server, PORTAL, '/users/email-code/verify', {
            json: { verificationToken, code },
            remoteAddress: '198.51.100.3',
          }),
        ),
      );
      assert.equal(answers.filter((r) => r.status === 200).length, 1);
      assert.equal(answers.filter((r) => r.status === 400).length, 19);
    });

    test('verify 429: wrong codes from one client address are throttled', async () => {
      const remoteAddress = '198.51.100.9';
      const requested = await apps(server, PORTAL, '/users/email-code', {
        json: { email: 'spray@example.com' },
      });
      let status = 0;
      let retryAfter: unknown;
      for (let i = 0; i < 30 && status !== 429; i++) {
        const res = await apps(server, PORTAL, '/users/email-code/verify', {
          json: { verificationToken: `${requested.body['verificationToken']}-${i}`, code: '123456' },
          remoteAddress,
        });
        status = res.status;
        retryAfter = res.headers['retry-after'];
      }
      assert.equal(status, 429);
      assert.ok(Number(retryAfter) >= 1);
    });

    test('sign-up 201: the verified address becomes the login; 409 until provisioned, then 200', async () => {
      const token = await verifiedToken('sam@example.com');
      const res = await apps(server, PORTAL, '/users', {
        json: { verifiedEmailToken: token, password: 'sam-password-1', displayName: 'Sam' },
      });
      assert.equal(res.status, 201, JSON.stringify(res.body));
      assert.equal(res.body['currentWLogOffset'], 0);
      const id = (res.body['newIDs'] as Record<string, string>)['1']!;
      const user = await server.services.repos.users.findById(portal.id, id);
      assert.equal(user?.username, 'sam@example.com');
      assert.equal(user?.fullName, 'Sam');
      assert.deepEqual(user?.emails, [{ address: 'sam@example.com', isVerified: true, isPrimary: true }]);
      await server.services.appsCore.worker.runDue();
      const token2 = await signIn(server, PORTAL, 'sam@example.com', 'sam-password-1');
      assert.equal(claimsOf(token2)['Login'], 'sam@example.com');
    });

    test('sign-up 409: the login exists (the same token twice, or an address already taken)', async () => {
      const token = await verifiedToken('twice@example.com');
      const body = { verifiedEmailToken: token, password: 'twice-password-1', displayName: 'Twice' };
      assert.equal((await apps(server, PORTAL, '/users', { json: body })).status, 201);
      const again = await apps(server, PORTAL, '/users', { json: body });
      assert.deepEqual(again.body, { status: 409, message: 'sign-in identifier already exists' });
    });

    test('sign-up 400: body problems in the reference order and wording; bad, expired or foreign tokens; weak passwords', async () => {
      const token = await verifiedToken('paula@example.com');
      const cases: Array<[unknown, string]> = [
        [{ password: 'paula-password-1', displayName: 'P' }, 'verifiedEmailToken field missing'],
        [{ verifiedEmailToken: token, password: 'paula-password-1' }, 'displayName field missing'],
        [{ verifiedEmailToken: token, displayName: 'P' }, 'password field missing'],
        [
          { verifiedEmailToken: 1, password: 'x', displayName: 'P' },
          'field "verifiedEmailToken" must be a string: field type mismatch',
        ],
        [
          { verifiedEmailToken: token, password: 'x', displayName: null },
          'field "displayName" must be a string: field type mismatch',
        ],
        [{ verifiedEmailToken: token, password: '', displayName: 'P' }, 'password field is empty'],
        [
          { verifiedEmailToken: 'garbage', password: 'paula-password-1', displayName: 'P' },
          'verifiedEmailToken validation failed: invalid token',
        ],
        [
          { verifiedEmailToken: token, password: 'short', displayName: 'P' },
          'Password must be between 8 and 1024 characters',
        ],
        [
          { verifiedEmailToken: token, password: 'qwertyuiop', displayName: 'P' },
          'Password is too common; choose another',
        ],
      ];
      for (const [json, message] of cases) {
        const res = await apps(server, PORTAL, '/users', { json });
        assert.deepEqual(res.body, { status: 400, message }, JSON.stringify(json));
      }
      assert.deepEqual((await apps(server, PORTAL, '/users', { payload: '{' })).body, {
        status: 400,
        message: 'failed to unmarshal body: invalid JSON',
      });
      // A token of another app, and a principal token, are not verified-email tokens here.
      const foreign = await verifiedToken('paula@example.com', 'acme/other');
      const res = await apps(server, PORTAL, '/users', {
        json: { verifiedEmailToken: foreign, password: 'paula-password-1', displayName: 'P' },
      });
      assert.deepEqual(res.body, {
        status: 400,
        message: 'verifiedEmailToken validation failed: invalid token',
      });
      await readyLogin(server, portal, 'pat', 'pat-password-1');
      const principal = await signIn(server, PORTAL, 'pat', 'pat-password-1');
      assert.equal(
        (
          await apps(server, PORTAL, '/users', {
            json: { verifiedEmailToken: principal, password: 'pat-password-2', displayName: 'P' },
          })
        ).status,
        400,
      );
      server.clock.advance((600 + server.config.clockSkewSeconds + 1) * 1000);
      const expired = await apps(server, PORTAL, '/users', {
        json: { verifiedEmailToken: token, password: 'paula-password-1', displayName: 'P' },
      });
      assert.deepEqual(expired.body, {
        status: 400,
        message: 'verifiedEmailToken validation failed: token expired',
      });
    });
  });

  describe(`apps dialect: change-password and devices (${backend.name})`, () => {
    let server: Awaited<ReturnType<typeof startAppsServer>>;
    let portal: App;
    before(async () => {
      server = await startAppsServer(backend);
      portal = await createApp(server, PORTAL);
    });
    after(async () => server.close());

    test('change-password 200 with an empty body; the new password works, the old does not, sessions end', async () => {
      await readyLogin(server, portal, 'olga', 'olga-password-1');
      const token = await signIn(server, PORTAL, 'olga', 'olga-password-1');
      const res = await apps(server, PORTAL, '/users/change-password', {
        json: { login: 'olga', oldPassword: 'olga-password-1', newPassword: 'olga-password-2' },
      });
      assert.equal(res.status, 200);
      assert.equal(res.raw.body, '');
      assert.equal((await apps(server, PORTAL, '/auth/refresh', { token })).status, 401, 'sessions revoked');
      assert.equal(
        (await apps(server, PORTAL, '/auth/login', { json: { login: 'olga', password: 'olga-password-1' } }))
          .status,
        401,
      );
      assert.equal(
        (await apps(server, PORTAL, '/auth/login', { json: { login: 'olga', password: 'olga-password-2' } }))
          .status,
        200,
      );
    });

    test('change-password 401 alike for an unknown login and a wrong old password', async () => {
      await readyLogin(server, portal, 'pete', 'pete-password-1');
      for (const body of [
        { login: 'nobody-here', oldPassword: 'pete-password-1', newPassword: 'pete-password-2' },
        { login: 'pete', oldPassword: 'not-the-password', newPassword: 'pete-password-2' },
      ]) {
        const res = await apps(server, PORTAL, '/users/change-password', { json: body });
        assert.deepEqual(res.body, { status: 401, message: 'login or password is incorrect' });
      }
    });

    test('change-password 429: at most one call a minute per login, failed ones included', async () => {
      await readyLogin(server, portal, 'quinn', 'quinn-password-1');
      const first = await apps(server, PORTAL, '/users/change-password', {
        json: { login: 'quinn', oldPassword: 'wrong-password', newPassword: 'quinn-password-2' },
      });
      assert.equal(first.status, 401);
      const second = await apps(server, PORTAL, '/users/change-password', {
        json: { login: 'quinn', oldPassword: 'quinn-password-1', newPassword: 'quinn-password-2' },
      });
      assert.equal(second.status, 429);
      assert.equal(second.headers['retry-after'], '60');
      assert.deepEqual(second.body, { status: 429, message: '' });
      server.clock.advance(59_000);
      assert.equal(
        (
          await apps(server, PORTAL, '/users/change-password', {
            json: { login: 'quinn', oldPassword: 'quinn-password-1', newPassword: 'quinn-password-2' },
          })
        ).status,
        429,
      );
      server.clock.advance(1_000);
      assert.equal(
        (
          await apps(server, PORTAL, '/users/change-password', {
            json: { login: 'quinn', oldPassword: 'quinn-password-1', newPassword: 'quinn-password-2' },
          })
        ).status,
        200,
      );
    });

    test('change-password 400: body problems and a too short new password', async () => {
      const cases: Array<[unknown, string]> = [
        [{ oldPassword: 'a', newPassword: 'b' }, 'login field missing'],
        [{ login: 'x', newPassword: 'b' }, 'oldPassword field missing'],
        [{ login: 'x', oldPassword: 'a' }, 'newPassword field missing'],
        [
          { login: 'x', oldPassword: 7, newPassword: 'b' },
          'field "oldPassword" must be a string: field type mismatch',
        ],
        [{ login: '', oldPassword: 'a', newPassword: 'b' }, 'login field is empty'],
        [
          { login: 'x', oldPassword: 'a', newPassword: 'short' },
          'Password must be between 8 and 1024 characters',
        ],
        [{ login: 'x', oldPassword: 'a', newPassword: '12345678' }, 'Password is too common; choose another'],
        [
          { login: 'wanda', oldPassword: 'a', newPassword: 'Wanda-1234' },
          'Password must not be built on the user name or email address',
        ],
        ['text', 'failed to unmarshal body: the body is not a JSON object'],
      ];
      for (const [json, message] of cases) {
        const res = await apps(server, PORTAL, '/users/change-password', { json });
        assert.deepEqual(res.body, { status: 400, message }, JSON.stringify(json));
      }
    });

    test('devices 201: generated credentials that sign in (once provisioned) with SubjectKind 2', async () => {
      const res = await apps(server, PORTAL, '/devices');
      assert.equal(res.status, 201);
      assert.deepEqual(Object.keys(res.body), ['login', 'password']);
      const { login, password } = res.body as { login: string; password: string };
      assert.match(login, /^device[a-z2-7]{26}$/);
      assert.match(password, /^[a-z2-7]{26}$/);
      await server.services.appsCore.worker.runDue();
      const token = await signIn(server, PORTAL, login, password);
      assert.equal(claimsOf(token)['SubjectKind'], 2);
      assert.equal(claimsOf(token)['Login'], login);
    });

    test('devices 400: any body is `unexpected body`; unknown app', async () => {
      for (const payload of ['{}', '{"displayName":"kiosk"}', 'null']) {
        const res = await apps(server, PORTAL, '/devices', { payload });
        assert.deepEqual(res.body, { status: 400, message: 'unexpected body' }, payload);
      }
      assert.ok(isAppsError((await apps(server, 'acme/none', '/devices')).body, 400));
    });

    test('devices 429: 10 per client address, then growing delays', async () => {
      const remoteAddress = '203.0.113.5';
      for (let i = 0; i < 10; i++)
        assert.equal((await apps(server, PORTAL, '/devices', { remoteAddress })).status, 201);
      const res = await apps(server, PORTAL, '/devices', { remoteAddress });
      assert.equal(res.status, 201, 'the 11th is let through and starts the delay');
      const blocked = await apps(server, PORTAL, '/devices', { remoteAddress });
      assert.equal(blocked.status, 429);
      assert.equal(blocked.headers['retry-after'], '60');
    });
  });
}
