import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { sha256Hex } from '../../src/shared/ids.js';
import { backends } from '../helpers/backends.js';
import {
  ALLOWED_ORIGIN,
  activationPath,
  assertFeathersError,
  call,
  type FeathersTestServer,
  feathersUser,
  INVALID_LOGIN,
  NOT_ACTIVATED,
  nthMail,
  outboxCount,
  PUBLIC_URL,
  post,
  startFeathersServer,
} from './support.js';

let seq = 0;
const address = (domain = 'signup.example') => `new${++seq}.${Date.now()}@${domain}`;
const PASSWORD = 'a long enough password';

for (const backend of await backends()) {
  describe(`feathers /signup and /activate (${backend.name})`, () => {
    let server: FeathersTestServer;
    let mails = 0;
    before(async () => {
      server = await startFeathersServer(backend);
    });
    after(async () => server.close());

    /** Signs up and returns the activation link of the mail that follows. */
    async function signUp(email: string, extra: Record<string, unknown> = {}) {
      const res = await post(server, '/signup', { email, password: PASSWORD, ...extra });
      assert.equal(res.status, 201, JSON.stringify(res.body));
      assert.deepEqual(res.body, { activationEmailSent: true, data: { email } });
      const mail = await nthMail(server, ++mails);
      assert.equal(
        (mail.to && 'value' in mail.to ? mail.to.value[0]?.address : '')?.toLowerCase(),
        email.toLowerCase(),
      );
      return activationPath(mail);
    }

    test('sign-up → 201, a pending account and a mail whose link (from publicUrl) activates it', async () => {
      const email = address('Campus.Example');
      const { link, path } = await signUp(email);
      assert.equal(link.origin + link.pathname, `${PUBLIC_URL}/activate`, 'built from publicUrl, not Host');
      assert.match(link.searchParams.get('token') ?? '', /^[A-Za-z0-9_-]{43}$/);
      const secret = link.searchParams.get('token')!;
      const stored = await server.services.store.db.selectFrom('activation_tokens').selectAll().execute();
      assert.ok(stored.some((row) => row.token_hash === sha256Hex(secret)));
      assert.ok(!JSON.stringify(stored).includes(secret), 'only a hash is stored');

      assert.equal(
        (await post(server, '/auth/login', { email, password: PASSWORD })).raw.body,
        JSON.stringify(NOT_ACTIVATED),
      );
      const activated = await call(server, 'GET', path);
      assert.equal(activated.status, 200, JSON.stringify(activated.body));
      assert.deepEqual(activated.body, { activated: true, data: { email } });

      const res = await post(server, '/auth/login', { email, password: PASSWORD });
      assert.equal(res.status, 201, JSON.stringify(res.body));
      const data = res.body['data'] as { username: string; belongsTo: Array<{ domain: string }> };
      assert.equal(data.username, email);
      assert.deepEqual(
        data.belongsTo.map((b) => b.domain),
        ['campus.example'],
        'joined the domain org once the address was proven',
      );
      const user = await server.services.users.findByLogin(server.services.defaultApp.id, email);
      assert.equal(user?.emails[0]?.isVerified, true);

      assertFeathersError(
        await call(server, 'GET', path),
        400,
        'BadRequest',
        'Invalid or expired activation token',
      );
    });

    test('before activation the user is not in the domain org (an address nobody proved claims nothing)', async () => {
      const email = address('claimed.example');
      await signUp(email);
      const user = await server.services.users.findByLogin(server.services.defaultApp.id, email);
      assert.ok(
        await server.services.repos.orgs.findByDomain(user!.appId, 'claimed.example'),
        'the org exists',
      );
      assert.deepEqual(await server.services.orgs.belongsTo(user!), []);
    });

    test('redirect: an allowed origin is followed with 302; others are refused with 400 without using the token', async () => {
      const target = `${ALLOWED_ORIGIN}/welcome?from=mail`;
      const { link, path } = await signUp(address(), { redirect: target });
      assert.equal(link.searchParams.get('redirect'), target);
      const token = link.searchParams.get('token')!;
      for (const evil of [
        'https://evil.example/',
        `${ALLOWED_ORIGIN}.evil.example/`,
        `https://user:pass@app.example.test/`,
        '//evil.example/',
        '/relative',
        'javascript:alert(1)',
        'data:text/html,hi',
        'http://app.example.test/',
      ]) {
        const res = await call(
          server,
          'GET',
          `/activate?token=${token}&redirect=${encodeURIComponent(evil)}`,
        );
        assertFeathersError(res, 400, 'BadRequest', 'redirect is not on an allowed origin');
        assert.equal(res.headers['location'], undefined);
      }
      const res = await call(server, 'GET', path);
      assert.equal(res.status, 302, res.raw.body);
      assert.equal(res.headers['location'], target);
      assert.equal(res.headers['referrer-policy'], 'no-referrer', 'the token does not leak to the target');
      assert.equal(res.raw.body, '');
    });

    test('sign-up with a redirect off the allowed origins is a 400 and sends nothing', async () => {
      const email = address();
      const res = await post(server, '/signup', {
        email,
        password: PASSWORD,
        redirect: 'https://evil.example/x',
      });
      assertFeathersError(res, 400, 'BadRequest');
      assert.deepEqual(Object.keys(res.body['errors'] as object), ['redirect']);
      assert.equal(await outboxCount(server, email), 0);
    });

    test('an activation link expires; HEAD does not use it; garbage tokens are the same 400', async () => {
      const { path } = await signUp(address());
      const head = await call(server, 'HEAD', path);
      assert.equal(head.status, 405);
      server.clock.advance(server.config.feathers.activationTtlSeconds * 1000);
      assertFeathersError(
        await call(server, 'GET', path),
        400,
        'BadRequest',
        'Invalid or expired activation token',
      );
      for (const q of ['token=abc', `token=${'A'.repeat(43)}`, 'token=%00%01']) {
        assertFeathersError(
          await call(server, 'GET', `/activate?${q}`),
          400,
          'BadRequest',
          'Invalid or expired activation token',
        );
      }
      assertFeathersError(await call(server, 'GET', '/activate'), 400, 'BadRequest');
      for (const method of ['POST', 'PUT', 'PATCH', 'DELETE'] as const) {
        assertFeathersError(await call(server, method, '/activate'), 405, 'MethodNotAllowed');
      }
    });

    test('an activation link opened in a browser shows a page: activated, used or expired, invalid', async () => {
      const BROWSER = { accept: 'text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8' };
      const email = address();
      const { path } = await signUp(email);
      const pageOf = async (url: string, status: number, heading: RegExp) => {
        const res = await call(server, 'GET', url, undefined, BROWSER);
        assert.equal(res.status, status, res.raw.body);
        assert.match(String(res.headers['content-type']), /^text\/html; charset=utf-8/);
        assert.match(String(res.headers['content-security-policy']), /default-src 'none'/);
        assert.equal(res.headers['referrer-policy'], 'no-referrer');
        assert.equal(res.headers['cache-control'], 'no-store');
        assert.match(String(res.headers['vary']), /Accept/);
        assert.match(res.raw.body, /^<!doctype html>/);
        assert.match(res.raw.body, /<main>/, 'the hosted pages’ layout');
        assert.match(res.raw.body, heading);
        assert.doesNotMatch(res.raw.body, /"activated"|querystring|<script/);
        return res.raw.body;
      };
      const activated = await pageOf(path, 200, /<h1>Your account is activated<\/h1>/);
      assert.ok(activated.includes(email.replace(/&/g, '&amp;')), 'names the address');
      assert.equal((await post(server, '/auth/login', { email, password: PASSWORD })).status, 201);
      await pageOf(path, 400, /expired or was already used/);
      await pageOf('/activate', 400, /<h1>This activation link is not valid<\/h1>/);
      await pageOf(`/activate?token=${'A'.repeat(300)}`, 400, /not valid/);
      await pageOf(
        `/activate?token=abc&redirect=${encodeURIComponent('https://evil.example/')}`,
        400,
        /not valid/,
      );
      // Markup from the address never reaches the page.
      const injected = await pageOf(`/activate?token=%3Cscript%3E`, 400, /expired or was already used/);
      assert.doesNotMatch(injected, /<script>/);

      // JSON clients (no Accept, */*, application/json, or JSON preferred) get today's answers.
      const fresh = await signUp(address());
      for (const accept of [undefined, '*/*', 'application/json', 'application/json, text/html;q=0.5']) {
        const headers: Record<string, string> = accept === undefined ? {} : { accept };
        assertFeathersError(await call(server, 'GET', '/activate', undefined, headers), 400, 'BadRequest');
        assertFeathersError(
          await call(server, 'GET', '/activate?token=abc', undefined, headers),
          400,
          'BadRequest',
          'Invalid or expired activation token',
        );
      }
      const json = await call(server, 'GET', fresh.path, undefined, { accept: '*/*' });
      assert.equal(json.status, 200);
      assert.equal(json.body['activated'], true);
    });

    test('race: 20 concurrent uses of one activation link, exactly one succeeds', async () => {
      const { path } = await signUp(address());
      const answers = await Promise.all(Array.from({ length: 20 }, () => call(server, 'GET', path)));
      assert.equal(answers.filter((a) => a.status === 200).length, 1, answers.map((a) => a.status).join(','));
      for (const a of answers.filter((x) => x.status !== 200)) {
        assertFeathersError(a, 400, 'BadRequest', 'Invalid or expired activation token');
      }
    });

    test('an existing address: the same answer; an activated account gets no mail, a pending one a new link', async () => {
      const existing = await feathersUser(server);
      const res = await post(server, '/signup', { email: existing.email, password: 'another password 9' });
      assert.equal(res.status, 201);
      assert.deepEqual(res.body, { activationEmailSent: true, data: { email: existing.email } });
      await server.services.registration.idle();
      assert.equal(await outboxCount(server, existing.email), 0, 'an activated account gets nothing');
      // Its password did not change.
      assert.equal(
        (await post(server, '/auth/login', { email: existing.email, password: 'another password 9' })).raw
          .body,
        JSON.stringify(INVALID_LOGIN),
      );

      const email = address();
      const first = await signUp(email);
      const second = await signUp(email);
      assert.equal(await outboxCount(server, email), 2, 'the pending account got a second link');
      assert.notEqual(first.path, second.path);
      assert.equal((await call(server, 'GET', second.path)).status, 200);
      assert.equal((await post(server, '/auth/login', { email, password: PASSWORD })).status, 201);
    });

    test("pre-hijack: the link used decides the password, so a stranger's earlier sign-up for the address does not", async () => {
      const email = address();
      const strangers = 'the strangers password 1';
      const owners = 'the owners own password 2';
      const stranger = await signUp(email, { password: strangers });
      const owner = await signUp(email, { password: owners });
      // Before activation, the stranger's password only ever says "Not Activated".
      assert.equal(
        (await post(server, '/auth/login', { email, password: strangers })).raw.body,
        JSON.stringify(NOT_ACTIVATED),
      );
      assert.equal((await call(server, 'GET', owner.path)).status, 200);
      assert.equal((await post(server, '/auth/login', { email, password: owners })).status, 201);
      assert.equal(
        (await post(server, '/auth/login', { email, password: strangers })).raw.body,
        JSON.stringify(INVALID_LOGIN),
      );
      // The stranger's link, unused and unexpired, no longer works: it cannot set its password now.
      assertFeathersError(
        await call(server, 'GET', stranger.path),
        400,
        'BadRequest',
        'Invalid or expired activation token',
      );
      assert.equal((await post(server, '/auth/login', { email, password: owners })).status, 201);
    });

    test('a link of an account activated meanwhile by other means verifies its address and sets no password', async () => {
      const email = address();
      const first = 'the first password 11';
      const { path } = await signUp(email, { password: first });
      const appId = server.services.defaultApp.id;
      const pending = (await server.services.users.findByLogin(appId, email))!;
      // An admin activates the account and gives it a password of their own.
      const adminSet = 'the admin set password 33';
      await server.services.repos.users.update(
        appId,
        pending.id,
        { isActive: true, passwordHash: await server.services.hasher.hash(adminSet) },
        server.clock.now(),
      );
      assert.equal((await call(server, 'GET', path)).status, 200);
      const user = (await server.services.users.findByLogin(appId, email))!;
      assert.equal(user.emails[0]?.isVerified, true);
      assert.equal((await post(server, '/auth/login', { email, password: adminSet })).status, 201);
      assert.equal(
        (await post(server, '/auth/login', { email, password: first })).raw.body,
        JSON.stringify(INVALID_LOGIN),
      );
    });

    test('bad input: weak password, invalid address, missing fields are BadRequest 400', async () => {
      const weak = await post(server, '/signup', { email: address(), password: 'short' });
      assertFeathersError(weak, 400, 'BadRequest', /Password must be between/);
      const common = await post(server, '/signup', { email: address(), password: 'iloveyou' });
      assertFeathersError(common, 400, 'BadRequest', /Password is too common/);
      const mine = address();
      const own = await post(server, '/signup', { email: mine, password: `${mine}!` });
      assertFeathersError(own, 400, 'BadRequest', /must not be built on the user name or email address/);
      assertFeathersError(
        await post(server, '/signup', { email: 'not-an-address', password: PASSWORD }),
        400,
        'BadRequest',
      );
      assertFeathersError(await post(server, '/signup', { email: address() }), 400, 'BadRequest');
      assertFeathersError(await post(server, '/signup', { password: PASSWORD }), 400, 'BadRequest');
      assertFeathersError(await call(server, 'GET', '/signup'), 405, 'MethodNotAllowed');
    });

    test('throttled per address signed up: TooManyRequests 429 with Retry-After, for new and existing alike', async () => {
      // Earlier tests' sign-ups are forgotten after the counters' hour.
      server.clock.advance(2 * 3600_000);
      const existing = await feathersUser(server);
      for (const email of [address(), existing.email]) {
        for (let i = 0; i < 4; i++) {
          assert.equal((await post(server, '/signup', { email, password: PASSWORD })).status, 201);
        }
        const blocked = await post(server, '/signup', { email, password: PASSWORD });
        assertFeathersError(blocked, 429, 'TooManyRequests');
        assert.ok(Number(blocked.headers['retry-after']) >= 60);
      }
    });
  });

  describe(`feathers sign-up can be switched off (${backend.name})`, () => {
    let server: FeathersTestServer;
    before(async () => {
      server = await startFeathersServer(backend, { overrides: { 'feathers.signupEnabled': false } });
    });
    after(async () => server.close());

    test('POST /signup is then not a route', async () => {
      const res = await server.app.inject({
        method: 'POST',
        url: '/signup',
        headers: { 'content-type': 'application/json' },
        payload: JSON.stringify({ email: 'a@b.example', password: PASSWORD }),
      });
      assert.equal(res.statusCode, 404);
      const doc = (await server.inject({ method: 'GET', url: '/openapi.json' })).json() as { paths: object };
      assert.equal('/signup' in doc.paths, false);
    });
  });
}
