import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { OWASP_ARGON2 } from '../../src/identity/passwords.js';
import { mfaLogin } from '../apps/mfa-support.js';
import { apps, createApp, readyLogin, startAppsServer } from '../apps/support.js';
import { backends } from '../helpers/backends.js';
import { type TestServer, UNLIMITED } from '../helpers/server.js';
import { assertAlikeTiming } from './timing.js';

/** Headers that legitimately differ per response. */
const VOLATILE = new Set(['date', 'x-request-id', 'content-length']);
const APP = 'enum/app';

for (const backend of (await backends()).slice(0, 1)) {
  describe(`apps sign-in does not reveal whether a login exists (${backend.name})`, () => {
    let server: TestServer;
    before(async () => {
      // Real argon2id parameters: a missing dummy verification would show as ~20 ms.
      // Throttling is off here: hundreds of failures from one address would (rightly) be refused.
      server = await startAppsServer(backend, { argon2: OWASP_ARGON2, limiter: UNLIMITED });
      const app = await createApp(server, APP);
      await readyLogin(server, app, 'known@example.com', 'known-password-1', { email: 'known@example.com' });
      const gone = await readyLogin(server, app, 'gone', 'gone-password-1');
      await server.services.users.deactivate(app.id, gone.id, { context: undefined });
      // A login with MFA: a wrong password must not tell that it has a second factor.
      await mfaLogin(server, app, APP, 'guarded', 'guarded-password-1');
    });
    after(async () => server.close());

    const attempts = {
      unknown: { login: 'nobody@example.com', password: 'some password 1' },
      unknownPlain: { login: 'nobody', password: 'some password 1' },
      wrongPassword: { login: 'known@example.com', password: 'some password 1' },
      otherCase: { login: 'KNOWN@example.com', password: 'known-password-1' },
      deactivated: { login: 'gone', password: 'gone-password-1' },
      mfaWrongPassword: { login: 'guarded', password: 'some password 1' },
      mfaWrongPasswordWithFactor: {
        login: 'guarded',
        password: 'some password 1',
        secondaryAuthFactor: { type: 'TOTP', token: '123456' },
      },
    };

    function assertAlike(responses: Array<Awaited<ReturnType<typeof apps>>>, body: unknown) {
      const first = responses[0]!;
      const keys = (r: (typeof responses)[number]) =>
        Object.keys(r.headers)
          .filter((h) => !VOLATILE.has(h))
          .sort();
      for (const res of responses) {
        assert.equal(res.status, first.status);
        assert.deepEqual(res.body, body);
        assert.deepEqual(keys(res), keys(first));
        for (const h of keys(first))
          if (h !== 'x-request-id') assert.equal(res.headers[h], first.headers[h], h);
        assert.equal(res.headers['set-cookie'], undefined);
        assert.equal(res.raw.body.length, first.raw.body.length);
      }
    }

    test('login: same status, body and headers for an unknown login, a wrong password (with MFA or not) and a deactivated login', async () => {
      const responses = await Promise.all(
        Object.values(attempts).map((json) => apps(server, APP, '/auth/login', { json })),
      );
      assertAlike(responses, { status: 401, message: 'login or password is incorrect' });
    });

    test('change-password: same answer for an unknown login and a wrong old password', async () => {
      const responses = await Promise.all(
        Object.values(attempts).map((a) =>
          apps(server, APP, '/users/change-password', {
            json: { login: a.login, oldPassword: a.password, newPassword: 'new-password-123' },
          }),
        ),
      );
      assertAlike(responses, { status: 401, message: 'login or password is incorrect' });
    });

    test('email-code: the same answer whether or not the address has a login', async () => {
      const known = await apps(server, APP, '/users/email-code', { json: { email: 'known@example.com' } });
      const unknown = await apps(server, APP, '/users/email-code', { json: { email: 'nobody@example.com' } });
      assert.equal(known.status, 200);
      assert.equal(unknown.status, 200);
      assert.deepEqual(Object.keys(known.body), Object.keys(unknown.body));
      assert.equal(known.raw.body.length, unknown.raw.body.length);
    });

    test('timing: medians of unknown login, wrong password and deactivated login within 5 ms or 10 %', async () => {
      const baseline = await assertAlikeTiming(
        ['unknown', 'wrongPassword', 'deactivated'],
        100,
        async (name) => {
          const started = performance.now();
          await apps(server, APP, '/auth/login', { json: attempts[name as keyof typeof attempts] });
          return performance.now() - started;
        },
      );
      assert.ok(baseline > 5, `argon2id should take milliseconds: ${baseline} ms`);
    });
  });
}
