import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { App } from '../../src/identity/types.js';
import { backends } from '../helpers/backends.js';
import { login, mfaLogin, RECOVERY_CODES, wrongCode } from './mfa-support.js';
import { apps, claimsOf, createApp, isAppsError, readyLogin, startAppsServer } from './support.js';

const PORTAL = 'acme/portal';
const REQUIRED = (types: string) =>
  `a second factor is required: send secondaryAuthFactor {type, token} with the password; type ${types}`;
const WRONG_FACTOR = 'secondaryAuthFactor is incorrect, expired or already used';

for (const backend of await backends()) {
  describe(`apps dialect: sign-in of a login with MFA (${backend.name})`, () => {
    let server: Awaited<ReturnType<typeof startAppsServer>>;
    let portal: App;
    before(async () => {
      server = await startAppsServer(backend);
      portal = await createApp(server, PORTAL);
    });
    after(async () => server.close());

    test('the password alone is refused with the dialect 401 naming the field, and gives no token', async () => {
      const ada = await mfaLogin(server, portal, PORTAL, 'ada');
      const res = await login(server, PORTAL, ada);
      assert.equal(res.status, 401);
      assert.deepEqual(res.body, { status: 401, message: REQUIRED('TOTP') });
      assert.equal(res.raw.body.includes('principalToken'), false);
      // The token from before activation still works: MFA gates new sign-ins only.
      assert.equal((await apps(server, PORTAL, '/auth/refresh', { token: ada.token })).status, 200);
    });

    test('with a current TOTP code: a principal token; the same code again is refused', async () => {
      const ben = await mfaLogin(server, portal, PORTAL, 'ben');
      const code = ben.code();
      const ok = await login(server, PORTAL, ben, { type: 'TOTP', token: code });
      assert.equal(ok.status, 200, JSON.stringify(ok.body));
      assert.deepEqual(Object.keys(ok.body), ['principalToken', 'expiresInSeconds', 'profileWSID']);
      assert.equal(claimsOf(ok.body['principalToken'] as string)['Login'], 'ben');
      const replay = await login(server, PORTAL, ben, { type: 'TOTP', token: code });
      assert.deepEqual(replay.body, { status: 401, message: WRONG_FACTOR });
      const wrong = await login(server, PORTAL, ben, { type: 'TOTP', token: wrongCode(server, ben.secret) });
      assert.deepEqual(wrong.body, { status: 401, message: WRONG_FACTOR });
      // The next step's code is fresh.
      server.clock.advance(30_000);
      assert.equal((await login(server, PORTAL, ben, { type: 'TOTP', token: ben.code() })).status, 200);
    });

    test('two parallel sign-ins with one code: exactly one token', async () => {
      const cy = await mfaLogin(server, portal, PORTAL, 'cy');
      const factor = { type: 'TOTP', token: cy.code() };
      const answers = await Promise.all([
        login(server, PORTAL, cy, factor),
        login(server, PORTAL, cy, factor),
      ]);
      assert.deepEqual(answers.map((r) => r.status).sort(), [200, 401]);
    });

    test('a recovery code signs in once, not twice; typed in capitals with spaces it still counts', async () => {
      const dee = await mfaLogin(server, portal, PORTAL, 'dee');
      const generated = await apps(server, PORTAL, RECOVERY_CODES, {
        token: dee.token,
        json: { secondaryAuthFactor: { type: 'TOTP', token: dee.code() } },
      });
      assert.equal(generated.status, 200, JSON.stringify(generated.body));
      const codes = generated.body['recoveryCodes'] as string[];
      // With codes left, the 401 lists them as a way in.
      assert.deepEqual((await login(server, PORTAL, dee)).body, {
        status: 401,
        message: REQUIRED('TOTP or RECOVERY_CODE'),
      });
      const first = { type: 'RECOVERY_CODE', token: codes[0]! };
      assert.equal((await login(server, PORTAL, dee, first)).status, 200);
      assert.deepEqual((await login(server, PORTAL, dee, first)).body, {
        status: 401,
        message: WRONG_FACTOR,
      });
      const typed = ` ${codes[1]!.toUpperCase().replaceAll('-', ' ')} `;
      assert.equal((await login(server, PORTAL, dee, { type: 'RECOVERY_CODE', token: typed })).status, 200);
      const made = { type: 'RECOVERY_CODE', token: 'abcd-efgh-ijkm-npqr-stuv-wxyz' };
      assert.deepEqual((await login(server, PORTAL, dee, made)).body, { status: 401, message: WRONG_FACTOR });
    });

    test('the password is checked first: a wrong password answers exactly as for a login without MFA', async () => {
      const eve = await mfaLogin(server, portal, PORTAL, 'evelyn');
      await readyLogin(server, portal, 'fay', 'fay-password-1');
      const code = eve.code();
      const answers = [
        await login(server, PORTAL, { login: 'eve', password: 'wrong-password' }),
        await login(server, PORTAL, { login: 'fay', password: 'wrong-password' }),
        await login(
          server,
          PORTAL,
          { login: 'eve', password: 'wrong-password' },
          { type: 'TOTP', token: code },
        ),
        await login(
          server,
          PORTAL,
          { login: 'fay', password: 'wrong-password' },
          { type: 'TOTP', token: code },
        ),
        await login(
          server,
          PORTAL,
          { login: 'nobody', password: 'wrong-password' },
          { type: 'TOTP', token: code },
        ),
      ];
      // Everything a client sees, but the per-response date and request id.
      const shape = (r: (typeof answers)[number]) => ({
        status: r.status,
        body: r.raw.body,
        headers: Object.entries(r.headers)
          .filter(([h]) => h !== 'date' && h !== 'x-request-id')
          .sort(([a], [b]) => a.localeCompare(b)),
      });
      for (const answer of answers) {
        assert.deepEqual(shape(answer), shape(answers[1]!));
        assert.deepEqual(answer.body, { status: 401, message: 'login or password is incorrect' });
      }
      // The code sent along with the wrong password was not looked at, so it is still unused.
      assert.equal((await login(server, PORTAL, eve, { type: 'TOTP', token: code })).status, 200);
    });

    test('wrong codes are throttled per login: then even the right code is 429 with Retry-After, until the wait is over', async () => {
      const gus = await mfaLogin(server, portal, PORTAL, 'gus');
      for (let i = 0; i < 6; i++) {
        const res = await login(server, PORTAL, gus, { type: 'TOTP', token: wrongCode(server, gus.secret) });
        assert.deepEqual(res.body, { status: 401, message: WRONG_FACTOR }, `attempt ${i}`);
      }
      const blocked = await login(server, PORTAL, gus, { type: 'TOTP', token: gus.code() });
      assert.equal(blocked.status, 429);
      assert.deepEqual(blocked.body, { status: 429, message: '' });
      assert.ok(Number(blocked.headers['retry-after']) >= 1);
      server.clock.advance(60_000);
      assert.equal((await login(server, PORTAL, gus, { type: 'TOTP', token: gus.code() })).status, 200);
    });

    test('400 for a malformed secondaryAuthFactor, before any credential is looked at', async () => {
      const cases: Array<[unknown, string]> = [
        ['123456', 'field "secondaryAuthFactor" must be an object: field type mismatch'],
        [['TOTP', '123456'], 'field "secondaryAuthFactor" must be an object: field type mismatch'],
        [
          { type: 1, token: '123456' },
          'field "secondaryAuthFactor.type" must be a string: field type mismatch',
        ],
        [
          { type: 'TOTP', token: 123456 },
          'field "secondaryAuthFactor.token" must be a string: field type mismatch',
        ],
        [{ token: '123456' }, 'field "secondaryAuthFactor.type" is empty'],
        [{ type: 'TOTP' }, 'field "secondaryAuthFactor.token" is empty'],
        [{ type: 'TOTP', token: '' }, 'field "secondaryAuthFactor.token" is empty'],
      ];
      for (const [factor, message] of cases) {
        const res = await login(server, PORTAL, { login: 'nobody', password: 'whatever-1' }, factor);
        assert.deepEqual(res.body, { status: 400, message }, JSON.stringify(factor));
      }
    });

    test('a factor sent for a login without MFA is ignored; null counts as absent', async () => {
      await readyLogin(server, portal, 'hal', 'hal-password-1');
      const hal = { login: 'hal', password: 'hal-password-1' };
      assert.equal((await login(server, PORTAL, hal, { type: 'TOTP', token: '123456' })).status, 200);
      assert.equal((await login(server, PORTAL, hal, { type: 'SMS', token: 'x' })).status, 200);
      assert.equal((await login(server, PORTAL, hal, null)).status, 200);
    });

    test('a factor type the login has not: 400 after the right password', async () => {
      const ivy = await mfaLogin(server, portal, PORTAL, 'ivy');
      const res = await login(server, PORTAL, ivy, { type: 'SMS', token: '123456' });
      assert.equal(res.status, 400);
      assert.ok(isAppsError(res.body, 400));
      assert.match(res.body['message'] as string, /^secondaryAuthFactor: .*TOTP or RECOVERY_CODE/);
    });

    test('change-password of a login with MFA needs the second factor too', async () => {
      const otto = await mfaLogin(server, portal, PORTAL, 'otto');
      const change = (secondaryAuthFactor?: unknown) =>
        apps(server, PORTAL, '/users/change-password', {
          json: {
            login: otto.login,
            oldPassword: otto.password,
            newPassword: 'otto-new-password-2',
            ...(secondaryAuthFactor === undefined ? {} : { secondaryAuthFactor }),
          },
        });
      const bare = await change();
      assert.deepEqual(bare.body, { status: 401, message: REQUIRED('TOTP') });
      // One change-password call a minute per login, failed ones included.
      server.clock.advance(60_000);
      const wrong = await change({ type: 'TOTP', token: wrongCode(server, otto.secret) });
      assert.deepEqual(wrong.body, { status: 401, message: WRONG_FACTOR });
      // Neither refusal changed anything: the old password still signs in (with its factor).
      server.clock.advance(60_000);
      assert.equal((await login(server, PORTAL, otto, { type: 'TOTP', token: otto.code() })).status, 200);
      server.clock.advance(60_000);
      const ok = await change({ type: 'TOTP', token: otto.code() });
      assert.equal(ok.status, 200, JSON.stringify(ok.body));
      server.clock.advance(30_000);
      const renewed = { login: otto.login, password: 'otto-new-password-2' };
      assert.equal((await login(server, PORTAL, renewed, { type: 'TOTP', token: otto.code() })).status, 200);
      assert.equal((await login(server, PORTAL, otto, { type: 'TOTP', token: otto.code() })).status, 401);
    });
  });
}
