import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, test } from 'node:test';
import { codeAt } from '../../src/mfa/index.js';
import { sha256Hex } from '../../src/shared/ids.js';
import { backends } from '../helpers/backends.js';
import { bearer, rpc, signIn } from '../helpers/rpc.js';
import type { TestServer } from '../helpers/server.js';
import { startSmtp } from '../helpers/smtp.js';
import { type Actor, actor, grant, type Mailbox, NOBODY, startIdentityServer } from './identity-support.js';
import { assertInvalidBody, assertOk, assertRpcError, MINUTE, SECOND, uniqueTag } from './support.js';

const HOUR = 60 * MINUTE;
const TOKEN = /^[0-9a-f]{64}$/;

for (const backend of await backends()) {
  describe(`rpc account life-cycle: reset, verification, activation (${backend.name})`, () => {
    let server: TestServer;
    let mail: Mailbox;
    let admin: Actor;
    before(async () => {
      ({ server, mail } = await startIdentityServer(backend));
      admin = await actor(server, { superuser: true });
    });
    // Some tests move the clock by hours: keep the administrator's token fresh.
    beforeEach(async () => {
      const token = await signIn(server, admin.username, admin.password);
      admin = { ...admin, token, auth: bearer(token) };
    });
    after(async () => server.close());

    /** An unverified second address, for verification tests. */
    async function withSecondAddress(who: Actor): Promise<string> {
      const second = `second.${uniqueTag()}@${uniqueTag()}.test`;
      assertOk(
        await rpc(
          server,
          'user.update',
          {
            id: who.id,
            emails: [
              { address: who.email, isPrimary: true, isVerified: true },
              { address: second, isPrimary: false, isVerified: false },
            ],
          },
          admin.auth,
        ),
      );
      return second;
    }

    async function resetToken(who: Actor): Promise<string> {
      assertOk(await rpc(server, 'user.forgotPassword', { userKey: who.username }));
      const message = await mail.last(who.email);
      assert.ok(message.token);
      return message.token;
    }

    describe('user.forgotPassword', () => {
      test('mails a reset link built from publicUrl (never the Host header), with a 256-bit token stored only hashed', async () => {
        const who = await actor(server);
        const res = await server.inject({
          method: 'POST',
          url: '/api/user.forgotPassword',
          headers: {
            'content-type': 'application/json',
            host: 'evil.example.net',
            'x-forwarded-host': 'evil.example.net',
          },
          payload: JSON.stringify({ userKey: who.username }),
        });
        assert.equal(res.statusCode, 200);
        assert.deepEqual(res.json(), { ok: true });
        const message = await mail.last(who.email);
        assert.equal(message.subject, 'Reset your latchkey password');
        assert.match(
          message.link ?? '',
          /^https:\/\/id\.example\.com\/auth\/reset-password\?token=[0-9a-f]{64}$/,
        );
        assert.doesNotMatch(message.text + message.html, /evil\.example\.net/);
        assert.match(message.text, /expires in 3 hours and works once/);
        const rows = await server.services.store.db
          .selectFrom('one_time_tokens')
          .selectAll()
          .where('user_id', '=', who.id)
          .execute();
        assert.equal(rows.length, 1);
        assert.equal(rows[0]!.kind, 'password_reset');
        assert.equal(rows[0]!.token_hash, sha256Hex(message.token!));
        assert.ok(!JSON.stringify(rows).includes(message.token!), 'the secret itself is not stored');
      });

      test('the same answer for an unknown account, a deactivated one and a real one; mail only for the real one', async () => {
        const real = await actor(server);
        const deactivated = await actor(server);
        assertOk(await rpc(server, 'user.deactivate', { id: deactivated.id }, admin.auth));
        const answers = [];
        for (const userKey of [
          real.email.toUpperCase(),
          `nobody-${uniqueTag()}`,
          `nobody.${uniqueTag()}@example.com`,
          deactivated.username,
        ]) {
          const res = await rpc(server, 'user.forgotPassword', { userKey });
          answers.push({ status: res.status, body: res.raw.body, cookie: res.headers['set-cookie'] });
        }
        for (const a of answers) assert.deepEqual(a, answers[0]);
        assert.deepEqual(answers[0], { status: 200, body: '{"ok":true}', cookie: undefined });
        assert.equal((await mail.to(real.email)).length, 1);
        assert.equal((await mail.to(deactivated.email)).length, 0);
      });

      test('throttled per account (as typed) and client address, and per client address, alike for real and unknown accounts', async () => {
        const forgot = async (userKey: string, remoteAddress: string) => {
          const raw = await server.inject({
            method: 'POST',
            url: '/api/user.forgotPassword',
            remoteAddress,
            headers: { 'content-type': 'application/json' },
            payload: JSON.stringify({ userKey }),
          });
          return { status: raw.statusCode, retryAfter: raw.headers['retry-after'] };
        };
        for (const userKey of [(await actor(server)).username, `ghost-${uniqueTag()}`]) {
          // Three free requests, a fourth that starts the wait, then refusals.
          for (let i = 0; i < 4; i++) assert.equal((await forgot(userKey, '192.0.2.76')).status, 200);
          const res = await forgot(userKey, '192.0.2.76');
          assert.equal(res.status, 429);
          assert.ok(Number(res.retryAfter) >= 1);
          // Another client's requests for the same account are its own (a stranger cannot use up the owner's).
          assert.equal((await forgot(userKey, '192.0.2.75')).status, 200);
        }
        const address = '192.0.2.77';
        let last = 0;
        for (let i = 0; i < 25; i++) {
          const res = await server.inject({
            method: 'POST',
            url: '/api/user.forgotPassword',
            remoteAddress: address,
            headers: { 'content-type': 'application/json' },
            payload: JSON.stringify({ userKey: `spray-${uniqueTag()}` }),
          });
          last = res.statusCode;
          if (last === 429) break;
        }
        assert.equal(last, 429, 'one address cannot spray reset requests');
      });

      test('tokenExpiresInSeconds shortens the link, never lengthens it past 3 hours; a new link replaces the old', async () => {
        const a = await actor(server);
        assertOk(
          await rpc(server, 'user.forgotPassword', { userKey: a.username, tokenExpiresInSeconds: 60 }),
        );
        const short = (await mail.last(a.email)).token!;
        server.clock.advance(61 * SECOND);
        assertRpcError(
          await rpc(server, 'user.resetPassword', { token: short, password: 'brand new password' }),
          10027,
        );
        const b = await actor(server);
        assertOk(
          await rpc(server, 'user.forgotPassword', {
            userKey: b.username,
            tokenExpiresInSeconds: 30 * 86400,
          }),
        );
        const long = (await mail.last(b.email)).token!;
        server.clock.advance(3 * HOUR + SECOND);
        assertRpcError(
          await rpc(server, 'user.resetPassword', { token: long, password: 'brand new password' }),
          10027,
        );
        const c = await actor(server);
        const first = await resetToken(c);
        const second = await resetToken(c);
        assert.notEqual(first, second);
        assertRpcError(
          await rpc(server, 'user.resetPassword', { token: first, password: 'brand new password' }),
          10027,
        );
        assertOk(await rpc(server, 'user.resetPassword', { token: second, password: 'brand new password' }));
        assertInvalidBody(
          await rpc(server, 'user.forgotPassword', { userKey: a.username, tokenExpiresInSeconds: 0 }),
        );
      });
    });

    describe('user.resetPassword', () => {
      test('sets the password once and ends every session of the user', async () => {
        const who = await actor(server);
        const other = await signIn(server, who.username, who.password);
        const token = await resetToken(who);
        assert.match(token, TOKEN);
        const res = await rpc(server, 'user.resetPassword', { token, password: 'a brand new password' });
        const body = assertOk(res);
        assert.deepEqual(body['user'], { id: who.id, updatedAt: new Date(server.clock.now()).toISOString() });
        for (const t of [who.token, other])
          assertRpcError(await rpc(server, 'user.info', {}, bearer(t)), 10000);
        assertRpcError(
          await rpc(server, 'session.issueToken', { user: who.username, password: who.password }),
          10002,
        );
        await signIn(server, who.username, 'a brand new password');
        assertRpcError(
          await rpc(server, 'user.resetPassword', { token, password: 'yet another password' }),
          10027,
          'Token does not exist or has already expired',
        );
      });

      test('10027 for an unknown token or one of another kind; 400 for a malformed one', async () => {
        assertRpcError(
          await rpc(server, 'user.resetPassword', { token: 'a'.repeat(64), password: 'whatever123' }),
          10027,
        );
        const who = await actor(server);
        const second = await withSecondAddress(who);
        assertOk(await rpc(server, 'user.verifyEmail', { id: who.id, emailAddress: second }, who.auth));
        const verification = (await mail.last(second)).token!;
        assertRpcError(
          await rpc(server, 'user.resetPassword', { token: verification, password: 'whatever123' }),
          10027,
        );
        // ...and the verification token still works where it belongs.
        assertOk(await rpc(server, 'email.verify', { token: verification }));
        for (const token of ['short', 'has_underscore_0000', 'x'.repeat(101)]) {
          assertInvalidBody(await rpc(server, 'user.resetPassword', { token, password: 'whatever123' }));
        }
      });

      test('a password that is not allowed does not use up the link; a deactivated user gets 10022', async () => {
        const who = await actor(server);
        const token = await resetToken(who);
        assertInvalidBody(await rpc(server, 'user.resetPassword', { token, password: 'short' }));
        assertOk(await rpc(server, 'user.resetPassword', { token, password: 'long enough now' }));
        const gone = await actor(server);
        const theirs = await resetToken(gone);
        assertOk(await rpc(server, 'user.deactivate', { id: gone.id }, admin.auth));
        assertRpcError(
          await rpc(server, 'user.resetPassword', { token: theirs, password: 'long enough now' }),
          10022,
        );
      });

      test('a reset does not bypass MFA: the second factor is still required at sign-in', async () => {
        const who = await actor(server);
        const confirmed = { secondaryAuthFactor: { type: 'PASSWORD', token: who.password } };
        const enrolled = assertOk(
          await rpc(server, 'totp.enroll', { userId: who.id, ...confirmed }, who.auth),
        )['totp'] as { secret: string };
        assertOk(
          await rpc(
            server,
            'totp.activate',
            { userId: who.id, secret: enrolled.secret, token: codeAt(enrolled.secret, server.clock.now()) },
            who.auth,
          ),
        );
        server.clock.advance(30 * SECOND);
        const token = await resetToken(who);
        assertOk(await rpc(server, 'user.resetPassword', { token, password: 'reset but still mfa' }));
        const res = await rpc(server, 'session.issueToken', {
          user: who.username,
          password: 'reset but still mfa',
        });
        assertRpcError(res, 10034);
        await signIn(server, who.username, 'reset but still mfa', {
          secondaryAuthFactor: { type: 'TOTP', token: codeAt(enrolled.secret, server.clock.now()) },
        });
      });

      test('race: two concurrent resets with one token, exactly one wins', async () => {
        for (let round = 0; round < 3; round++) {
          const who = await actor(server);
          const token = await resetToken(who);
          const results = await Promise.all(
            ['first password x', 'second password y', 'third password z'].map((password) =>
              rpc(server, 'user.resetPassword', { token, password }),
            ),
          );
          const winners = results.filter((r) => r.body.ok === true);
          assert.equal(winners.length, 1, JSON.stringify(results.map((r) => r.body)));
          for (const r of results.filter((x) => x.body.ok !== true)) assertRpcError(r, 10027);
        }
      });

      test('wrong tokens are throttled per client address', async () => {
        let last = 0;
        for (let i = 0; i < 30 && last !== 429; i++) {
          const res = await server.inject({
            method: 'POST',
            url: '/api/user.resetPassword',
            remoteAddress: '192.0.2.99',
            headers: { 'content-type': 'application/json' },
            payload: JSON.stringify({ token: sha256Hex(String(i)), password: 'guessing password' }),
          });
          last = res.statusCode;
        }
        assert.equal(last, 429);
      });
    });

    describe('user.verifyEmail and email.verify', () => {
      test('yourself: a link to /verify-email; email.verify marks the address verified, once', async () => {
        const who = await actor(server);
        const second = await withSecondAddress(who);
        assertOk(
          await rpc(server, 'user.verifyEmail', { id: who.id, emailAddress: second.toUpperCase() }, who.auth),
        );
        const message = await mail.last(second);
        assert.equal(message.subject, 'Verify your email address for latchkey');
        assert.match(
          message.link ?? '',
          /^https:\/\/id\.example\.com\/auth\/verify-email\?token=[0-9a-f]{64}$/,
        );
        const res = assertOk(await rpc(server, 'email.verify', { token: message.token }));
        const user = res['user'] as Record<string, unknown>;
        assert.deepEqual(Object.keys(user).sort(), [
          'emails',
          'fullName',
          'id',
          'picture',
          'updatedAt',
          'username',
        ]);
        assert.deepEqual(user['emails'], [
          { address: who.email, isVerified: true, isPrimary: true },
          { address: second, isVerified: true, isPrimary: false },
        ]);
        assertRpcError(await rpc(server, 'email.verify', { token: message.token }), 10027);
        assertRpcError(
          await rpc(server, 'user.verifyEmail', { id: who.id, emailAddress: second }, who.auth),
          10037,
          `Email address "${second}" is already verified`,
        );
      });

      test('another user needs global yeep.user.write; 10001, 10036; only an administrator sets the expiry', async () => {
        const who = await actor(server);
        const second = await withSecondAddress(who);
        const someone = await actor(server);
        assertRpcError(
          await rpc(server, 'user.verifyEmail', { id: NOBODY, emailAddress: second }, someone.auth),
          10001,
        );
        assertRpcError(
          await rpc(server, 'user.verifyEmail', { id: who.id, emailAddress: second }, someone.auth),
          10012,
        );
        assertRpcError(
          await rpc(
            server,
            'user.verifyEmail',
            { id: who.id, emailAddress: 'not.theirs@example.com' },
            who.auth,
          ),
          10036,
          'Email address "not.theirs@example.com" does not belong to the user',
        );
        assertRpcError(
          await rpc(
            server,
            'user.verifyEmail',
            { id: who.id, emailAddress: second, tokenExpiresInSeconds: 60 },
            who.auth,
          ),
          10012,
        );
        assertOk(
          await rpc(
            server,
            'user.verifyEmail',
            { id: who.id, emailAddress: second, tokenExpiresInSeconds: 60 },
            admin.auth,
          ),
        );
        const token = (await mail.last(second)).token!;
        server.clock.advance(61 * SECOND);
        assertRpcError(await rpc(server, 'email.verify', { token }), 10027);
        await grant(server, admin, someone.id, 'yeep.user.write');
        assertOk(await rpc(server, 'user.verifyEmail', { id: who.id, emailAddress: second }, someone.auth));
      });

      test('10036 when the address was removed after the link was sent', async () => {
        const who = await actor(server);
        const second = await withSecondAddress(who);
        assertOk(await rpc(server, 'user.verifyEmail', { id: who.id, emailAddress: second }, who.auth));
        const token = (await mail.last(second)).token!;
        assertOk(
          await rpc(
            server,
            'user.update',
            { id: who.id, emails: [{ address: who.email, isPrimary: true, isVerified: true }] },
            admin.auth,
          ),
        );
        assertRpcError(await rpc(server, 'email.verify', { token }), 10036);
      });

      test('race: two concurrent verifications with one token, exactly one wins', async () => {
        for (let round = 0; round < 3; round++) {
          const who = await actor(server);
          const second = await withSecondAddress(who);
          assertOk(await rpc(server, 'user.verifyEmail', { id: who.id, emailAddress: second }, who.auth));
          const token = (await mail.last(second)).token!;
          const results = await Promise.all([1, 2, 3].map(() => rpc(server, 'email.verify', { token })));
          assert.equal(results.filter((r) => r.body.ok === true).length, 1);
          for (const r of results.filter((x) => x.body.ok !== true)) assertRpcError(r, 10027);
        }
      });
    });

    describe('GET /verify-email', () => {
      test('an HTML page: verified once, then "expired"; security headers, no-store', async () => {
        const who = await actor(server);
        const second = await withSecondAddress(who);
        assertOk(await rpc(server, 'user.verifyEmail', { id: who.id, emailAddress: second }, who.auth));
        const link = new URL((await mail.last(second)).link!);
        const path = `${link.pathname.replace(/^\/auth/, '')}${link.search}`;
        const res = await server.inject({ method: 'GET', url: path });
        assert.equal(res.statusCode, 200);
        assert.match(String(res.headers['content-type']), /^text\/html; charset=utf-8/);
        assert.match(res.body, /Email verified/);
        assert.equal(res.headers['cache-control'], 'no-store');
        assert.match(String(res.headers['content-security-policy']), /default-src 'none'/);
        assert.match(String(res.headers['content-security-policy']), /frame-ancestors 'none'/);
        assert.equal(res.headers['x-frame-options'], 'DENY');
        assert.equal(res.headers['x-content-type-options'], 'nosniff');
        assert.equal(res.headers['referrer-policy'], 'no-referrer');
        const info = assertOk(await rpc(server, 'user.info', {}, who.auth))['user'] as {
          emails: Array<{ isVerified: boolean }>;
        };
        assert.ok(info.emails.every((e) => e.isVerified));
        const again = await server.inject({ method: 'GET', url: path });
        assert.equal(again.statusCode, 400);
        assert.match(again.body, /invalid, has expired or has already been used/);
        for (const url of ['/verify-email', '/verify-email?token=', '/verify-email?token=%3Cscript%3E']) {
          const bad = await server.inject({ method: 'GET', url });
          assert.equal(bad.statusCode, 400, url);
          assert.doesNotMatch(bad.body, /<script>/);
        }
      });

      test('the token never reaches the logs', async () => {
        const who = await actor(server);
        const second = await withSecondAddress(who);
        assertOk(await rpc(server, 'user.verifyEmail', { id: who.id, emailAddress: second }, who.auth));
        const token = (await mail.last(second)).token!;
        await server.inject({ method: 'GET', url: `/verify-email?token=${token}` });
        assert.ok(!server.logs.join('').includes(token));
      });
    });

    describe('the reset-password page', () => {
      test('GET shows a form for a live link; POST sets the password once', async () => {
        const who = await actor(server);
        const token = await resetToken(who);
        const form = await server.inject({ method: 'GET', url: `/reset-password?token=${token}` });
        assert.equal(form.statusCode, 200);
        assert.match(form.body, /<form method="post" action="reset-password">/);
        assert.match(form.body, new RegExp(`name="token" value="${token}"`));
        assert.equal(form.headers['cache-control'], 'no-store');
        const post = (password: string) =>
          server.inject({
            method: 'POST',
            url: '/reset-password',
            headers: { 'content-type': 'application/x-www-form-urlencoded' },
            payload: new URLSearchParams({ token, password }).toString(),
          });
        const short = await post('short');
        assert.equal(short.statusCode, 400);
        assert.match(short.body, /Password must be between 8 and 1024 characters/);
        const common = await post('password');
        assert.equal(common.statusCode, 400);
        assert.match(common.body, /Password is too common/);
        const own = await post(`${who.username}2024`);
        assert.equal(own.statusCode, 400);
        assert.match(own.body, /must not be built on the user name or email address/);
        const done = await post('set from the page');
        assert.equal(done.statusCode, 200);
        assert.match(done.body, /Password changed/);
        await signIn(server, who.username, 'set from the page');
        assert.equal((await post('once more please')).statusCode, 400);
        assert.equal(
          (await server.inject({ method: 'GET', url: `/reset-password?token=${token}` })).statusCode,
          400,
        );
      });

      test('POST refuses an over-long password whole (never truncated) and the link keeps working; 1024 code points are set whole', async () => {
        const who = await actor(server);
        const token = await resetToken(who);
        const post = (password: string) =>
          server.inject({
            method: 'POST',
            url: '/reset-password',
            headers: { 'content-type': 'application/x-www-form-urlencoded' },
            payload: new URLSearchParams({ token, password }).toString(),
          });
        const tooLong = 'x'.repeat(1100);
        const refused = await post(tooLong);
        assert.equal(refused.statusCode, 400);
        assert.match(refused.body, /Password must be between 8 and 1024 characters/);
        assert.match(refused.body, /<form method="post"/, 'the form again, to try once more');
        assert.doesNotMatch(refused.body, /maxlength="1024"/, 'no browser-side cut either');
        // Nothing changed: neither the whole password nor its first 1024 characters sign in.
        await signIn(server, who.username, who.password);
        assertRpcError(
          await rpc(server, 'session.issueToken', { user: who.username, password: tooLong.slice(0, 1024) }),
          10002,
        );
        // Exactly the maximum, counted in code points: 1000 + 24 astral characters (1048 UTF-16 units).
        const longest = `${'p'.repeat(1000)}${'🔑'.repeat(24)}`;
        assert.equal([...longest].length, 1024);
        const done = await post(longest);
        assert.equal(done.statusCode, 200, done.body);
        assert.match(done.body, /Password changed/);
        await signIn(server, who.username, longest);
        // A prefix (as a cut at 1024 UTF-16 units, or mid-surrogate, would have left) is not the password.
        assertRpcError(
          await rpc(server, 'session.issueToken', { user: who.username, password: longest.slice(0, 1024) }),
          10002,
        );
      });
    });

    describe('account activation', () => {
      test('user.create with isPendingActivation: no sign-in until the mailed link is followed', async () => {
        const tag = uniqueTag();
        const email = `${tag}@${tag}.test`;
        const created = assertOk(
          await rpc(
            server,
            'user.create',
            {
              username: tag,
              password: 'pending password',
              emails: [{ address: email, isPrimary: true }],
              isPendingActivation: true,
            },
            admin.auth,
          ),
        )['user'] as { id: string };
        assertRpcError(
          await rpc(server, 'session.issueToken', { user: tag, password: 'pending password' }),
          10002,
        );
        const message = await mail.last(email);
        assert.equal(message.subject, 'Activate your latchkey account');
        assert.match(message.link ?? '', /\/verify-email\?token=/);
        const page = await server.inject({ method: 'GET', url: `/verify-email?token=${message.token}` });
        assert.equal(page.statusCode, 200);
        const token = await signIn(server, tag, 'pending password');
        const info = assertOk(await rpc(server, 'user.info', {}, bearer(token)))['user'] as {
          id: string;
          emails: Array<{ isVerified: boolean }>;
        };
        assert.equal(info.id, created.id);
        assert.equal(info.emails[0]!.isVerified, true);
      });

      test('user.activate activates a pending account too', async () => {
        const tag = uniqueTag();
        const created = assertOk(
          await rpc(
            server,
            'user.create',
            {
              username: tag,
              password: 'pending password',
              emails: [{ address: `${tag}@${tag}.test`, isPrimary: true }],
              isPendingActivation: true,
            },
            admin.auth,
          ),
        )['user'] as { id: string };
        assertRpcError(
          await rpc(server, 'session.issueToken', { user: tag, password: 'pending password' }),
          10002,
        );
        assertOk(await rpc(server, 'user.activate', { id: created.id }, admin.auth));
        await signIn(server, tag, 'pending password');
      });
    });
  });

  describe(`rpc mail over real SMTP: reset and verification end to end (${backend.name})`, () => {
    test('forgotPassword → the received mail → its link’s token → resetPassword; verifyEmail → the link → GET /verify-email', async () => {
      const smtp = await startSmtp();
      const { server } = await startIdentityServer(backend, {
        'mail.transport': 'smtp',
        'mail.smtpUrl': smtp.url,
        'mail.from': 'Latchkey <auth@id.example.com>',
      });
      try {
        const admin = await actor(server, { superuser: true });
        const who = await actor(server);
        assertOk(await rpc(server, 'user.forgotPassword', { userKey: who.email }));
        // The reset mail is queued after the answer; then the outbox sends it.
        await server.services.identity.account.settled();
        await server.services.mail.flush();
        const [reset] = await smtp.waitFor(1);
        assert.equal(reset!.subject, 'Reset your latchkey password');
        assert.equal(reset!.to && 'text' in reset!.to ? reset!.to.text : '', who.email);
        const link = /https:\/\/id\.example\.com\/auth\/reset-password\?token=([0-9a-f]{64})/.exec(
          reset!.text ?? '',
        );
        assert.ok(link, reset!.text);
        assert.match(String(reset!.html), /reset-password\?token=[0-9a-f]{64}/);
        assertOk(await rpc(server, 'user.resetPassword', { token: link[1], password: 'from the real mail' }));
        const token = await signIn(server, who.username, 'from the real mail');

        const second = `second.${uniqueTag()}@${uniqueTag()}.test`;
        assertOk(
          await rpc(
            server,
            'user.update',
            {
              id: who.id,
              emails: [
                { address: who.email, isPrimary: true, isVerified: true },
                { address: second, isPrimary: false },
              ],
            },
            admin.auth,
          ),
        );
        assertOk(await rpc(server, 'user.verifyEmail', { id: who.id, emailAddress: second }, bearer(token)));
        await server.services.mail.flush();
        const [, verification] = await smtp.waitFor(2);
        assert.equal(verification!.subject, 'Verify your email address for latchkey');
        const url = new URL(/(https:\/\/\S+)/.exec(verification!.text ?? '')![1]!);
        assert.equal(url.origin, 'https://id.example.com');
        const page = await server.inject({
          method: 'GET',
          url: `${url.pathname.replace(/^\/auth/, '')}${url.search}`,
        });
        assert.equal(page.statusCode, 200);
        const info = assertOk(await rpc(server, 'user.info', {}, bearer(token)))['user'] as {
          emails: Array<{ address: string; isVerified: boolean }>;
        };
        assert.deepEqual(
          info.emails.find((e) => e.address === second),
          { address: second, isVerified: true, isPrimary: false },
        );
      } finally {
        await server.close();
        await smtp.close();
      }
    });
  });
}
