import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { codeAt } from '../../src/mfa/index.js';
import { backends } from '../helpers/backends.js';
import { bearer, rpc, signIn } from '../helpers/rpc.js';
import { seedUser, startTestServer, type TestServer } from '../helpers/server.js';
import { fromManyClients } from './support.js';

for (const backend of await backends()) {
  describe(`rpc MFA: TOTP and recovery codes (${backend.name})`, () => {
    let server: TestServer;
    before(async () => {
      server = fromManyClients(await startTestServer(backend));
    });
    after(async () => server.close());

    /** A user with TOTP active; returns the secret, a token, and a fresh code helper. */
    async function mfaUser() {
      const user = await seedUser(server);
      const token = await signIn(server, user.username!, user.password);
      const enrolled = await rpc(
        server,
        'totp.enroll',
        { userId: user.id, secondaryAuthFactor: { type: 'PASSWORD', token: user.password } },
        bearer(token),
      );
      assert.equal(enrolled.body.ok, true, JSON.stringify(enrolled.body));
      const totp = enrolled.body['totp'] as { secret: string; qrcode: string; isPendingActivation: boolean };
      assert.match(totp.qrcode, /^data:image\/png;base64,/);
      assert.equal(totp.isPendingActivation, true);
      const activated = await rpc(
        server,
        'totp.activate',
        { userId: user.id, secret: totp.secret, token: codeAt(totp.secret, server.clock.now()) },
        bearer(token),
      );
      assert.deepEqual(activated.body, { ok: true });
      // The activation code's step is used up: move to the next step for sign-ins.
      server.clock.advance(30_000);
      return { user, token, secret: totp.secret, code: () => codeAt(totp.secret, server.clock.now()) };
    }

    test('password only → 10034 listing TOTP; with a valid code → a token; a wrong code → 10035', async () => {
      const { user, code } = await mfaUser();
      const first = await rpc(server, 'session.issueToken', { user: user.username, password: user.password });
      assert.deepEqual(first.body, {
        ok: false,
        error: {
          code: 10034,
          message: `User "${user.username}" has enabled MFA; please specify secondary authentication factor`,
          applicableAuthFactorTypes: ['TOTP'],
        },
      });
      const wrong = await rpc(server, 'session.issueToken', {
        user: user.username,
        password: user.password,
        secondaryAuthFactor: { type: 'TOTP', token: '000000' === code() ? '111111' : '000000' },
      });
      assert.equal(wrong.body.error?.code, 10035);
      const ok = await rpc(server, 'session.setCookie', {
        user: user.username,
        password: user.password,
        secondaryAuthFactor: { type: 'TOTP', token: code() },
      });
      assert.equal(ok.body.ok, true);
      assert.ok(ok.cookies.some((c) => c.name === 'session'));
      // A wrong password with a right code is still 10002: the factor is never checked first.
      const badPassword = await rpc(server, 'session.issueToken', {
        user: user.username,
        password: 'not-the-password',
        secondaryAuthFactor: { type: 'TOTP', token: code() },
      });
      assert.equal(badPassword.body.error?.code, 10002);
    });

    test('a code is accepted once: a replay, and two parallel submissions, get one success only', async () => {
      const { user, code } = await mfaUser();
      const body = () => ({
        user: user.username,
        password: user.password,
        secondaryAuthFactor: { type: 'TOTP', token: code() },
      });
      assert.equal((await rpc(server, 'session.issueToken', body())).body.ok, true);
      assert.equal(
        (await rpc(server, 'session.issueToken', body())).body.error?.code,
        10035,
        'replay in the same step',
      );
      server.clock.advance(30_000);
      const parallel = await Promise.all([
        rpc(server, 'session.issueToken', body()),
        rpc(server, 'session.issueToken', body()),
      ]);
      assert.equal(parallel.filter((r) => r.body.ok === true).length, 1);
      assert.equal(parallel.filter((r) => r.body.error?.code === 10035).length, 1);
    });

    test('±1 step is accepted, ±2 refused; an older step after a newer one is a replay', async () => {
      const { user, secret } = await mfaUser();
      // Well past the activation's step, so the previous step is unused.
      server.clock.advance(90_000);
      const at = (offsetSteps: number) => codeAt(secret, server.clock.now() + offsetSteps * 30_000);
      const attempt = (token: string) =>
        rpc(server, 'session.issueToken', {
          user: user.username,
          password: user.password,
          secondaryAuthFactor: { type: 'TOTP', token },
        });
      const current = at(0);
      const plusTwo = at(2);
      if (plusTwo !== current && plusTwo !== at(1) && plusTwo !== at(-1))
        assert.equal((await attempt(plusTwo)).body.error?.code, 10035);
      assert.equal((await attempt(at(-1))).body.ok, true, 'previous step');
      assert.equal((await attempt(at(1))).body.ok, true, 'next step');
      assert.equal(
        (await attempt(current)).body.error?.code,
        10035,
        'the current step is older than the one used',
      );
    });

    test('wrong codes are throttled per user: after the limit even the right code gets 429', async () => {
      const { user, code } = await mfaUser();
      for (let i = 0; i < 6; i++) {
        const res = await rpc(server, 'session.issueToken', {
          user: user.username,
          password: user.password,
          secondaryAuthFactor: { type: 'TOTP', token: '99999' + (i % 10) },
        });
        assert.ok([10035].includes(res.body.error?.code ?? 0), JSON.stringify(res.body));
      }
      const blocked = await rpc(server, 'session.issueToken', {
        user: user.username,
        password: user.password,
        secondaryAuthFactor: { type: 'TOTP', token: code() },
      });
      assert.equal(blocked.status, 429);
      assert.ok(Number(blocked.headers['retry-after']) >= 1);
      server.clock.advance(60_000);
      assert.equal(
        (
          await rpc(server, 'session.issueToken', {
            user: user.username,
            password: user.password,
            secondaryAuthFactor: { type: 'TOTP', token: code() },
          })
        ).body.ok,
        true,
      );
    });

    test('recovery codes: generated with a current factor, listed as a factor, single use, replaced on regeneration', async () => {
      const { user, token, code } = await mfaUser();
      const noFactor = await rpc(server, 'totp.generateRecoveryCodes', { userId: user.id }, bearer(token));
      assert.equal(noFactor.body.error?.code, 10034);
      assert.deepEqual(noFactor.body.error?.['applicableAuthFactorTypes'], ['PASSWORD', 'TOTP']);
      const generated = await rpc(
        server,
        'totp.generateRecoveryCodes',
        { userId: user.id, secondaryAuthFactor: { type: 'PASSWORD', token: user.password } },
        bearer(token),
      );
      const codes = generated.body['recoveryCodes'] as string[];
      assert.equal(codes.length, 10);
      const required = await rpc(server, 'session.issueToken', {
        user: user.username,
        password: user.password,
      });
      assert.deepEqual(required.body.error?.['applicableAuthFactorTypes'], ['TOTP', 'RECOVERY_CODE']);
      const withCode = (c: string) =>
        rpc(server, 'session.issueToken', {
          user: user.username,
          password: user.password,
          secondaryAuthFactor: { type: 'RECOVERY_CODE', token: c },
        });
      assert.equal((await withCode(codes[0]!.toUpperCase())).body.ok, true);
      assert.equal((await withCode(codes[0]!)).body.error?.code, 10035, 'single use');
      const again = await rpc(
        server,
        'totp.generateRecoveryCodes',
        { userId: user.id, secondaryAuthFactor: { type: 'TOTP', token: code() } },
        bearer(token),
      );
      assert.equal(again.body.ok, true);
      assert.equal((await withCode(codes[1]!)).body.error?.code, 10035, 'old codes stop working');
      const rows = await server.services.store.db
        .selectFrom('mfa_recovery_codes')
        .select('code_hash')
        .where('user_id', '=', user.id)
        .execute();
      for (const row of rows)
        assert.ok(!codes.some((c) => row.code_hash.includes(c.replace(/-/g, ''))), 'stored hashed');
    });

    test('type PASSWORD is refused at sign-in as the reference does (400 any.allowOnly)', async () => {
      const { user } = await mfaUser();
      const res = await rpc(server, 'session.issueToken', {
        user: user.username,
        password: user.password,
        secondaryAuthFactor: { type: 'PASSWORD', token: user.password },
      });
      assert.equal(res.body.error?.code, 400);
      const details = res.body.error?.['details'] as Array<{ path: unknown[]; type: string }>;
      assert.deepEqual(details[0]?.path, ['secondaryAuthFactor', 'type']);
      assert.equal(details[0]?.type, 'any.allowOnly');
    });

    test('enrolling yourself needs your password: a stolen token cannot enrol a factor and take the account over', async () => {
      const user = await seedUser(server);
      const token = await signIn(server, user.username!, user.password);
      const none = await rpc(server, 'totp.enroll', { userId: user.id }, bearer(token));
      assert.equal(none.body.error?.code, 10034);
      assert.deepEqual(none.body.error?.['applicableAuthFactorTypes'], ['PASSWORD']);
      const wrong = await rpc(
        server,
        'totp.enroll',
        { userId: user.id, secondaryAuthFactor: { type: 'PASSWORD', token: 'not-the-password' } },
        bearer(token),
      );
      assert.equal(wrong.body.error?.code, 10035);
      assert.equal(await server.services.repos.mfa.findPending(user.id), null);
      // So the thief has no factor to pass user.update's confirmation with, and the password stays.
      const takeover = await rpc(
        server,
        'user.update',
        {
          id: user.id,
          password: 'the-thief-password',
          secondaryAuthFactor: { type: 'TOTP', token: '123456' },
        },
        bearer(token),
      );
      assert.equal(takeover.body.ok, false);
      assert.ok(await signIn(server, user.username!, user.password));
    });

    test('a superuser enrols another user without a factor of their own', async () => {
      const root = await seedUser(server, { superuser: true });
      const rootToken = await signIn(server, root.username!, root.password);
      const user = await seedUser(server);
      const res = await rpc(server, 'totp.enroll', { userId: user.id }, bearer(rootToken));
      assert.equal(res.body.ok, true, JSON.stringify(res.body));
    });

    test('enroll and activate errors: 10032 when active, 10027 for another secret, 10031 for a wrong code, 10012 for others', async () => {
      const { user, token } = await mfaUser();
      assert.equal(
        (await rpc(server, 'totp.enroll', { userId: user.id }, bearer(token))).body.error?.code,
        10032,
      );
      const fresh = await seedUser(server);
      const freshToken = await signIn(server, fresh.username!, fresh.password);
      const enrolled = (
        await rpc(
          server,
          'totp.enroll',
          { userId: fresh.id, secondaryAuthFactor: { type: 'PASSWORD', token: fresh.password } },
          bearer(freshToken),
        )
      ).body['totp'] as { secret: string };
      const other = 'A'.repeat(32);
      assert.equal(
        (
          await rpc(
            server,
            'totp.activate',
            { userId: fresh.id, secret: other, token: '123456' },
            bearer(freshToken),
          )
        ).body.error?.code,
        10027,
      );
      const wrongCode = codeAt(enrolled.secret, server.clock.now()) === '123456' ? '654321' : '123456';
      assert.equal(
        (
          await rpc(
            server,
            'totp.activate',
            { userId: fresh.id, secret: enrolled.secret, token: wrongCode },
            bearer(freshToken),
          )
        ).body.error?.code,
        10031,
      );
      assert.equal(
        (await rpc(server, 'totp.enroll', { userId: fresh.id }, bearer(token))).body.error?.code,
        10012,
      );
      server.clock.advance(16 * 60_000);
      const renewed = await signIn(server, fresh.username!, fresh.password);
      const expired = await rpc(
        server,
        'totp.activate',
        { userId: fresh.id, secret: enrolled.secret, token: codeAt(enrolled.secret, server.clock.now()) },
        bearer(renewed),
      );
      assert.equal(expired.body.error?.code, 10027, 'enrollments expire after 15 minutes');
    });

    test('eject: 10033 without TOTP; yourself only with a factor (10034, 10035); an admin needs none', async () => {
      const plain = await seedUser(server);
      const plainToken = await signIn(server, plain.username!, plain.password);
      assert.equal(
        (await rpc(server, 'totp.eject', { userId: plain.id }, bearer(plainToken))).body.error?.code,
        10033,
      );
      const { user, token, code } = await mfaUser();
      const missing = await rpc(server, 'totp.eject', { userId: user.id }, bearer(token));
      assert.equal(missing.body.error?.code, 10034);
      assert.deepEqual(missing.body.error?.['applicableAuthFactorTypes'], ['PASSWORD', 'TOTP']);
      assert.equal(
        (
          await rpc(
            server,
            'totp.eject',
            { userId: user.id, secondaryAuthFactor: { type: 'PASSWORD', token: 'wrong-password' } },
            bearer(token),
          )
        ).body.error?.code,
        10035,
      );
      assert.deepEqual(
        (
          await rpc(
            server,
            'totp.eject',
            { userId: user.id, secondaryAuthFactor: { type: 'TOTP', token: code() } },
            bearer(token),
          )
        ).body,
        { ok: true },
      );
      assert.equal(
        (await rpc(server, 'session.issueToken', { user: user.username, password: user.password })).body.ok,
        true,
        'MFA is gone',
      );
      const second = await mfaUser();
      const admin = await seedUser(server, { superuser: true });
      const adminToken = await signIn(server, admin.username!, admin.password);
      assert.deepEqual(
        (await rpc(server, 'totp.eject', { userId: second.user.id }, bearer(adminToken))).body,
        { ok: true },
      );
    });

    test('TOTP secrets are sealed at rest', async () => {
      const { user, secret } = await mfaUser();
      const row = await server.services.store.db
        .selectFrom('mfa_totp')
        .selectAll()
        .where('user_id', '=', user.id)
        .executeTakeFirstOrThrow();
      assert.ok(!row.secret_sealed.includes(secret));
      assert.match(row.secret_sealed, /^v1\./);
    });

    test('changing your own password with a TOTP code works; a factor for a user without MFA is ignored at sign-in', async () => {
      const { user, token, code } = await mfaUser();
      const changed = await rpc(
        server,
        'user.update',
        { id: user.id, password: 'brand-new-password', secondaryAuthFactor: { type: 'TOTP', token: code() } },
        bearer(token),
      );
      assert.equal(changed.body.ok, true, JSON.stringify(changed.body));
      const plain = await seedUser(server);
      const res = await rpc(server, 'session.issueToken', {
        user: plain.username,
        password: plain.password,
        secondaryAuthFactor: { type: 'TOTP', token: '123456' },
      });
      assert.equal(res.body.ok, true);
    });
  });
}
