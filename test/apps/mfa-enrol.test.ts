import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { App } from '../../src/identity/types.js';
import { codeAt, RECOVERY_CODE_COUNT } from '../../src/mfa/index.js';
import { backends } from '../helpers/backends.js';
import { ACTIVATE, EJECT, ENROLL, enrol, login, mfaLogin, RECOVERY_CODES, wrongCode } from './mfa-support.js';
import { apps, createApp, isAppsError, readyLogin, signIn, startAppsServer } from './support.js';

const PORTAL = 'acme/portal';
const OTHER = 'acme/other';
const CONFIRM = (types: string) =>
  `a current factor is required: send secondaryAuthFactor {type, token}; type ${types}`;
const NOT_ENROLLED = { status: 400, message: 'TOTP is not enrolled for this login' };
const ALREADY_ACTIVE = { status: 409, message: 'TOTP is already active for this login; eject it first' };

for (const backend of await backends()) {
  describe(`apps dialect: a login enrols its own second factor (${backend.name})`, () => {
    let server: Awaited<ReturnType<typeof startAppsServer>>;
    let portal: App;
    let other: App;
    before(async () => {
      server = await startAppsServer(backend);
      portal = await createApp(server, PORTAL);
      other = await createApp(server, OTHER);
    });
    after(async () => server.close());

    /** A ready login without MFA and a principal token of it. */
    async function plainLogin(name: string) {
      const password = `${name}-password-1`;
      const user = await readyLogin(server, portal, name, password);
      const token = await signIn(server, PORTAL, name, password);
      return { user, token, enrol: () => enrol(server, PORTAL, token, password) };
    }

    test('enroll: a secret, its otpauth URI and QR code, pending for 15 minutes, not cached', async () => {
      const abe = await plainLogin('abe');
      const res = await abe.enrol();
      assert.equal(res.status, 200, JSON.stringify(res.body));
      assert.deepEqual(Object.keys(res.body), ['secret', 'otpauthUri', 'qrcode', 'expiresInSeconds']);
      const secret = res.body['secret'] as string;
      assert.match(secret, /^[A-Z2-7]{32}$/);
      const uri = new URL(res.body['otpauthUri'] as string);
      assert.equal(uri.protocol, 'otpauth:');
      assert.equal(uri.searchParams.get('secret'), secret);
      assert.equal(uri.searchParams.get('issuer'), server.config.issuer);
      // The label names the app, so one person's logins of several apps stay apart in the authenticator.
      assert.match(decodeURIComponent(uri.pathname), /abe \(acme\/portal\)$/);
      assert.match(res.body['qrcode'] as string, /^data:image\/png;base64,[A-Za-z0-9+/]+=*$/);
      assert.equal(res.body['expiresInSeconds'], 900);
      assert.equal(res.headers['cache-control'], 'no-store');
    });

    test('activate: a code of the enrolled secret switches MFA on; enrolling or activating again is 409', async () => {
      const bea = await plainLogin('bea');
      const { token } = bea;
      const first = (await bea.enrol()).body['secret'] as string;
      // Enrolling again replaces the pending secret: the first no longer activates.
      const secret = (await bea.enrol()).body['secret'] as string;
      assert.notEqual(secret, first);
      const stale = await apps(server, PORTAL, ACTIVATE, {
        token,
        json: { secret: first, code: codeAt(first, server.clock.now()) },
      });
      assert.deepEqual(stale.body, {
        status: 400,
        message: 'no pending TOTP enrolment with this secret: it expired or was replaced; enroll again',
      });
      const wrong = await apps(server, PORTAL, ACTIVATE, {
        token,
        json: { secret, code: wrongCode(server, secret) },
      });
      assert.deepEqual(wrong.body, { status: 400, message: 'code cannot be verified' });
      const ok = await apps(server, PORTAL, ACTIVATE, {
        token,
        json: { secret, code: codeAt(secret, server.clock.now()) },
      });
      assert.equal(ok.status, 204, JSON.stringify(ok.body));
      assert.equal(ok.raw.body, '');
      assert.equal((await login(server, PORTAL, { login: 'bea', password: 'bea-password-1' })).status, 401);
      assert.deepEqual((await bea.enrol()).body, ALREADY_ACTIVE);
      const again = await apps(server, PORTAL, ACTIVATE, {
        token,
        json: { secret, code: codeAt(secret, server.clock.now() + 30_000) },
      });
      assert.deepEqual(again.body, ALREADY_ACTIVE);
    });

    test("enroll needs the password: a stolen token alone cannot enrol the thief's authenticator", async () => {
      const { user, token } = await plainLogin('eve');
      const none = await apps(server, PORTAL, ENROLL, { token });
      assert.deepEqual(none.body, { status: 401, message: CONFIRM('PASSWORD') });
      const wrong = await apps(server, PORTAL, ENROLL, {
        token,
        json: { secondaryAuthFactor: { type: 'PASSWORD', token: 'not-the-password' } },
      });
      assert.deepEqual(wrong.body, { status: 401, message: 'secondaryAuthFactor cannot be verified' });
      // Nothing is pending, so nothing can be activated, and the owner still signs in alone.
      assert.equal(await server.services.repos.mfa.findPending(user.id), null);
      assert.equal((await login(server, PORTAL, { login: 'eve', password: 'eve-password-1' })).status, 200);
      // Guessing the password here is throttled like any re-authentication.
      let last = wrong;
      for (let i = 0; i < 10 && last.status !== 429; i++) {
        last = await apps(server, PORTAL, ENROLL, {
          token,
          json: { secondaryAuthFactor: { type: 'PASSWORD', token: `guess-${i}-password` } },
        });
      }
      assert.equal(last.status, 429);
    });

    test('activate: an enrolment waits 15 minutes, no longer', async () => {
      const cal = await plainLogin('cal');
      const { token } = cal;
      const secret = (await cal.enrol()).body['secret'] as string;
      server.clock.advance(15 * 60_000);
      const late = await apps(server, PORTAL, ACTIVATE, {
        token,
        json: { secret, code: codeAt(secret, server.clock.now()) },
      });
      assert.equal(late.status, 400);
      assert.match(late.body['message'] as string, /^no pending TOTP enrolment/);
    });

    test('activate: body problems are 400 in the reference wording', async () => {
      const { token } = await plainLogin('dot');
      const cases: Array<[string, string]> = [
        ['', 'failed to unmarshal body: unexpected end of JSON input'],
        ['{', 'failed to unmarshal body: invalid JSON'],
        ['[]', 'failed to unmarshal body: the body is not a JSON object'],
        ['{"code":"123456"}', 'secret field missing'],
        ['{"secret":"ABC"}', 'code field missing'],
        ['{"secret":"ABC","code":123456}', 'field "code" must be a string: field type mismatch'],
        ['{"secret":"","code":"123456"}', 'secret field is empty'],
      ];
      for (const [payload, message] of cases) {
        const res = await apps(server, PORTAL, ACTIVATE, { token, payload });
        assert.deepEqual(res.body, { status: 400, message }, payload);
      }
    });

    test('eject needs a current factor: none or a wrong one is 401; the password or a TOTP code removes MFA', async () => {
      const eli = await mfaLogin(server, portal, PORTAL, 'eli');
      for (const body of [undefined, {}, { secondaryAuthFactor: null }]) {
        const res = await apps(server, PORTAL, EJECT, { token: eli.token, ...(body ? { json: body } : {}) });
        assert.deepEqual(
          res.body,
          { status: 401, message: CONFIRM('PASSWORD or TOTP') },
          JSON.stringify(body),
        );
      }
      for (const factor of [
        { type: 'PASSWORD', token: 'not-the-password' },
        { type: 'TOTP', token: wrongCode(server, eli.secret) },
      ]) {
        const res = await apps(server, PORTAL, EJECT, {
          token: eli.token,
          json: { secondaryAuthFactor: factor },
        });
        assert.deepEqual(res.body, { status: 401, message: 'secondaryAuthFactor cannot be verified' });
      }
      const recovery = await apps(server, PORTAL, EJECT, {
        token: eli.token,
        json: { secondaryAuthFactor: { type: 'RECOVERY_CODE', token: 'abcd-efgh-ijkm-npqr-stuv-wxyz' } },
      });
      assert.equal(recovery.status, 400);
      assert.match(recovery.body['message'] as string, /^secondaryAuthFactor: .*PASSWORD or TOTP$/);
      // Still on: nothing above removed it.
      assert.equal((await login(server, PORTAL, eli)).status, 401);
      const ok = await apps(server, PORTAL, EJECT, {
        token: eli.token,
        json: { secondaryAuthFactor: { type: 'TOTP', token: eli.code() } },
      });
      assert.equal(ok.status, 204, JSON.stringify(ok.body));
      assert.equal((await login(server, PORTAL, eli)).status, 200);
      const twice = await apps(server, PORTAL, EJECT, {
        token: eli.token,
        json: { secondaryAuthFactor: { type: 'PASSWORD', token: eli.password } },
      });
      assert.deepEqual(twice.body, NOT_ENROLLED);

      const fox = await mfaLogin(server, portal, PORTAL, 'fox');
      const byPassword = await apps(server, PORTAL, EJECT, {
        token: fox.token,
        json: { secondaryAuthFactor: { type: 'PASSWORD', token: fox.password } },
      });
      assert.equal(byPassword.status, 204);
      assert.equal((await login(server, PORTAL, fox)).status, 200);
    });

    test('recovery codes: ten, shown once, replacing earlier ones; they need TOTP and a current factor', async () => {
      const { token } = await plainLogin('gil');
      const none = await apps(server, PORTAL, RECOVERY_CODES, {
        token,
        json: { secondaryAuthFactor: { type: 'PASSWORD', token: 'gil-password-1' } },
      });
      assert.deepEqual(none.body, NOT_ENROLLED);

      const hap = await mfaLogin(server, portal, PORTAL, 'hap');
      const bare = await apps(server, PORTAL, RECOVERY_CODES, { token: hap.token });
      assert.deepEqual(bare.body, { status: 401, message: CONFIRM('PASSWORD or TOTP') });
      const first = await apps(server, PORTAL, RECOVERY_CODES, {
        token: hap.token,
        json: { secondaryAuthFactor: { type: 'PASSWORD', token: hap.password } },
      });
      assert.equal(first.status, 200, JSON.stringify(first.body));
      assert.equal(first.headers['cache-control'], 'no-store');
      const codes = first.body['recoveryCodes'] as string[];
      assert.equal(codes.length, RECOVERY_CODE_COUNT);
      assert.equal(new Set(codes).size, RECOVERY_CODE_COUNT);
      for (const code of codes) assert.match(code, /^[a-z2-9]{4}(-[a-z2-9]{4}){5}$/);
      const second = await apps(server, PORTAL, RECOVERY_CODES, {
        token: hap.token,
        json: { secondaryAuthFactor: { type: 'TOTP', token: hap.code() } },
      });
      const fresh = second.body['recoveryCodes'] as string[];
      assert.equal(fresh.length, RECOVERY_CODE_COUNT);
      const old = await login(server, PORTAL, hap, { type: 'RECOVERY_CODE', token: codes[0]! });
      assert.equal(old.status, 401, 'an earlier code stopped working');
      assert.equal(
        (await login(server, PORTAL, hap, { type: 'RECOVERY_CODE', token: fresh[0]! })).status,
        200,
      );
    });

    test("another app's principal token cannot enrol, activate, eject or mint codes here", async () => {
      // The same login name in both apps: two unrelated accounts.
      const mine = await mfaLogin(server, portal, PORTAL, 'ida');
      const theirs = await readyLogin(server, other, 'ida', 'ida-password-1');
      const foreign = await signIn(server, OTHER, 'ida', 'ida-password-1');
      const factor = { secondaryAuthFactor: { type: 'PASSWORD', token: 'ida-password-1' } };
      for (const [path, json] of [
        [ENROLL, factor],
        [ACTIVATE, { secret: mine.secret, code: mine.code() }],
        [EJECT, factor],
        [RECOVERY_CODES, factor],
      ] as const) {
        const res = await apps(server, PORTAL, path, { token: foreign, ...(json ? { json } : {}) });
        assert.deepEqual(res.body, { status: 401, message: 'invalid token' }, path);
      }
      // Nothing changed for either account.
      assert.equal(await server.services.repos.mfa.findPending(theirs.id), null);
      assert.deepEqual(await server.services.mfa.factors(mine.userId), ['TOTP']);
      assert.deepEqual(await server.services.mfa.factors(theirs.id), []);
      // In its own app the token works.
      assert.equal((await enrol(server, OTHER, foreign, 'ida-password-1')).status, 200);
    });

    test('no token, a malformed or revoked one: 401 on every MFA route', async () => {
      const { token } = await plainLogin('jon');
      assert.equal((await apps(server, PORTAL, '/auth/logout', { token })).status, 204);
      // Well-formed bodies: a malformed one is a 400 whatever the token (it tells nothing about it).
      const json = { secret: 'JBSWY3DPEHPK3PXP', code: '123456' };
      for (const path of [ENROLL, ACTIVATE, EJECT, RECOVERY_CODES]) {
        const missing = await apps(server, PORTAL, path, { json });
        assert.deepEqual(missing.body, { status: 401, message: 'authorization header is empty' }, path);
        const scheme = await apps(server, PORTAL, path, { json, headers: { authorization: 'Digest x' } });
        assert.deepEqual(scheme.body, { status: 401, message: 'unsupported Authorization header' }, path);
        const revoked = await apps(server, PORTAL, path, { token, json });
        assert.deepEqual(revoked.body, { status: 401, message: 'invalid token' }, path);
      }
    });

    test('a deactivated login cannot use a token it still holds', async () => {
      const { user, token } = await plainLogin('kit');
      await server.services.users.deactivate(portal.id, user.id, { context: undefined });
      const res = await apps(server, PORTAL, ENROLL, { token });
      assert.equal(res.status, 401);
      assert.ok(isAppsError(res.body, 401));
    });
  });
}
