import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { codeAt } from '../../src/mfa/index.js';
import { backends } from '../helpers/backends.js';
import { seedUser } from '../helpers/server.js';
import {
  assertFeathersError,
  call,
  claims,
  type FeathersTestServer,
  feathersUser,
  INVALID_LOGIN,
  NOT_ACTIVATED,
  post,
  startFeathersServer,
} from './support.js';

const DATA_KEYS = ['_id', 'belongsTo', 'createdAt', 'email', 'integrations', 'updatedAt', 'username'];

for (const backend of await backends()) {
  describe(`feathers /auth/login and /auth/local (${backend.name})`, () => {
    let server: FeathersTestServer;
    before(async () => {
      server = await startFeathersServer(backend);
    });
    after(async () => server.close());

    for (const path of ['/auth/login', '/auth/local']) {
      test(`${path}: 201 {token, data} with the user without secrets`, async () => {
        const user = await feathersUser(server, `Grace.${path.slice(6)}@Navy.example`);
        await server.services.integrations.enable(user.appId, user.id, 'cobol');
        // The address is matched without regard to case.
        const res = await post(server, path, { email: user.email.toLowerCase(), password: user.password });
        assert.equal(res.status, 201, JSON.stringify(res.body));
        assert.deepEqual(Object.keys(res.body).sort(), ['data', 'token']);
        const data = res.body['data'] as Record<string, unknown>;
        assert.deepEqual(Object.keys(data).sort(), DATA_KEYS);
        assert.equal(data['_id'], user.id);
        assert.equal(data['email'], user.email);
        assert.equal(data['username'], user.email, 'username is the email, as Edumaps assigns it');
        assert.equal(data['createdAt'], new Date(user.createdAt).toISOString());
        assert.equal(data['updatedAt'], new Date(user.updatedAt).toISOString());
        const org = await server.services.repos.orgs.findByDomain(user.appId, 'navy.example');
        assert.ok(org, 'the domain org was found or created with the user');
        assert.deepEqual(data['belongsTo'], [{ domain: 'navy.example', domainId: org.id }]);
        const [integration] = await server.services.integrations.list(user.appId, user.id);
        assert.deepEqual(data['integrations'], [
          { _id: integration!.id, name: 'cobol', createdAt: new Date(integration!.createdAt).toISOString() },
        ]);
        assert.doesNotMatch(res.raw.body, /argon2|password|passwordHash/i);

        const token = res.body['token'] as string;
        const header = JSON.parse(Buffer.from(token.split('.')[0]!, 'base64url').toString()) as Record<
          string,
          unknown
        >;
        assert.equal(header['alg'], 'EdDSA');
        assert.equal(header['typ'], 'feathers-access+jwt');
        const c = claims(token);
        assert.equal(c['sub'], user.id);
        assert.equal(c['_id'], user.id);
        assert.equal(typeof c['sid'], 'string');
        assert.equal(typeof c['jti'], 'string');
        assert.equal(Number(c['exp']) - Number(c['iat']), 86_400, 'one day, as Feathers');
        assert.equal(res.headers['cache-control'], 'no-store');
      });
    }

    test("every credential failure is the same 401 'Invalid login': unknown, wrong password, deactivated, no password", async () => {
      const known = await feathersUser(server);
      const deactivated = await feathersUser(server);
      await server.services.users.deactivate(deactivated.appId, deactivated.id, { context: undefined });
      const passwordless = await server.services.users.create(server.services.defaultApp.id, {
        username: `nopass${Date.now()}`,
        emails: [{ address: `nopass.${Date.now()}@example.com`, isPrimary: true, isVerified: true }],
      });
      const attempts = [
        { email: 'nobody-here@example.com', password: 'some password 1' },
        { email: known.email, password: 'some password 1' },
        { email: deactivated.email, password: deactivated.password },
        { email: passwordless.emails[0]!.address, password: 'some password 1' },
      ];
      for (const body of attempts) {
        const res = await post(server, '/auth/login', body);
        assert.equal(res.status, 401);
        assert.equal(res.raw.body, JSON.stringify(INVALID_LOGIN));
      }
    });

    test("a pending account: 'Invalid login' with a wrong password, 'Not Activated' only with the right one", async () => {
      const email = `pending.${Date.now()}@example.org`;
      const pending = await server.services.users.create(server.services.defaultApp.id, {
        username: `pending${Date.now()}`,
        password: 'correct horse pending',
        emails: [{ address: email, isPrimary: true, isVerified: false }],
        isActive: false,
      });
      const wrong = await post(server, '/auth/login', { email, password: 'not the password' });
      assert.equal(wrong.raw.body, JSON.stringify(INVALID_LOGIN));
      for (const path of ['/auth/login', '/auth/local']) {
        const right = await post(server, path, { email, password: 'correct horse pending' });
        assert.equal(right.status, 401);
        assert.equal(right.raw.body, JSON.stringify(NOT_ACTIVATED));
      }
      const viaAuthentication = await post(server, '/authentication', {
        strategy: 'local',
        email,
        password: 'correct horse pending',
      });
      assert.equal(viaAuthentication.raw.body, JSON.stringify(NOT_ACTIVATED));
      assert.equal(pending.isActive, false);
    });

    test('bad input is a BadRequest 400 naming the field; malformed JSON 400; other media 415; too large 413', async () => {
      const missing = await post(server, '/auth/login', { email: 'a@b.example' });
      assertFeathersError(missing, 400, 'BadRequest');
      assert.ok('password' in (missing.body['errors'] as object), JSON.stringify(missing.body));
      const wrongType = await post(server, '/auth/login', { email: 'a@b.example', password: 12345678 });
      assertFeathersError(wrongType, 400, 'BadRequest');
      assert.ok('password' in (wrongType.body['errors'] as object), JSON.stringify(wrongType.body));
      assertFeathersError(await post(server, '/auth/login', ['a', 'b']), 400, 'BadRequest');
      assertFeathersError(await post(server, '/auth/login', null), 400, 'BadRequest');
      assertFeathersError(await call(server, 'POST', '/auth/login'), 400, 'BadRequest');
      const malformed = await server.inject({
        method: 'POST',
        url: '/auth/login',
        headers: { 'content-type': 'application/json' },
        payload: '{"email": ',
      });
      assertFeathersError(
        { status: malformed.statusCode, body: malformed.json(), headers: malformed.headers, raw: malformed },
        400,
        'BadRequest',
      );
      for (const type of [
        'text/plain',
        'application/x-www-form-urlencoded',
        'multipart/form-data; boundary=x',
      ]) {
        const res = await server.inject({
          method: 'POST',
          url: '/auth/login',
          headers: { 'content-type': type },
          payload: 'email=a%40b.example&password=x',
        });
        assertFeathersError(
          { status: res.statusCode, body: res.json(), headers: res.headers, raw: res },
          415,
          'UnsupportedMediaType',
        );
      }
      const big = await post(server, '/auth/login', {
        email: 'a@b.example',
        password: 'p'.repeat(server.config.bodyLimitBytes),
      });
      assertFeathersError(big, 413, 'PayloadTooLarge');
    });

    test('other verbs are MethodNotAllowed (405, Allow: POST); unknown paths under /auth are NotFound', async () => {
      for (const method of ['GET', 'PUT', 'PATCH', 'DELETE'] as const) {
        for (const path of ['/auth/login', '/auth/local', '/auth/token']) {
          const res = await call(server, method, path, method === 'GET' ? undefined : { email: 'x' });
          assertFeathersError(res, 405, 'MethodNotAllowed');
          assert.equal(res.headers['allow'], 'POST');
        }
      }
      assertFeathersError(
        await call(server, 'GET', '/auth/login'),
        405,
        'MethodNotAllowed',
        'Method `find` is not supported by this endpoint.',
      );
      for (const method of ['GET', 'POST', 'DELETE'] as const) {
        assertFeathersError(await call(server, method, '/auth/facebook'), 404, 'NotFound', 'Page not found');
      }
      // Deeper paths too.
      assertFeathersError(await call(server, 'POST', '/auth/local/callback/x'), 404, 'NotFound');
      // Outside the dialect's paths, the server's own 404.
      const elsewhere = await call(server, 'GET', '/users');
      assert.equal(elsewhere.status, 404);
      assert.equal(elsewhere.body['statusCode'], 404);
    });

    test('throttling: TooManyRequests 429 with Retry-After, and the injected clock lifts it', async () => {
      const user = await feathersUser(server);
      for (let i = 0; i < 6; i++) {
        const res = await post(server, '/auth/login', { email: user.email, password: `wrong ${i} password` });
        assert.equal(res.status, 401);
      }
      const blocked = await post(server, '/auth/login', { email: user.email, password: user.password });
      assertFeathersError(blocked, 429, 'TooManyRequests');
      assert.ok(Number(blocked.headers['retry-after']) >= 1);
      server.clock.advance(Number(blocked.headers['retry-after']) * 1000);
      const res = await post(server, '/auth/login', { email: user.email, password: user.password });
      assert.equal(res.status, 201);
    });

    test('MFA users: the password alone is a 401 asking for the second factor; with a TOTP code it signs in', async () => {
      const user = await feathersUser(server);
      const { secret } = await server.services.mfa.enroll(user, user.email);
      await server.services.mfa.activate(user, secret, codeAt(secret, server.clock.now()));
      server.clock.advance(30_000);
      const wrong = await post(server, '/auth/login', { email: user.email, password: 'bad password 1' });
      assert.equal(wrong.raw.body, JSON.stringify(INVALID_LOGIN), 'nothing told before the password');
      const passwordOnly = await post(server, '/auth/login', { email: user.email, password: user.password });
      assertFeathersError(passwordOnly, 401, 'NotAuthenticated', /second factor/);
      assert.deepEqual(passwordOnly.body['data'], { applicableAuthFactorTypes: ['TOTP'] });
      const badCode = await post(server, '/auth/login', {
        email: user.email,
        password: user.password,
        secondaryAuthFactor: { type: 'TOTP', token: codeAt(secret, server.clock.now() + 10 * 60_000) },
      });
      assertFeathersError(badCode, 401, 'NotAuthenticated');
      const ok = await post(server, '/auth/local', {
        email: user.email,
        password: user.password,
        secondaryAuthFactor: { type: 'TOTP', token: codeAt(secret, server.clock.now()) },
      });
      assert.equal(ok.status, 201, JSON.stringify(ok.body));
      const viaAuthentication = await post(server, '/authentication', {
        strategy: 'local',
        email: user.email,
        password: user.password,
      });
      assertFeathersError(viaAuthentication, 401, 'NotAuthenticated', /second factor/);
    });

    test('extra fields are ignored, as Feathers does', async () => {
      const user = await seedUser(server);
      const res = await post(server, '/auth/login', {
        email: user.emails[0]!.address,
        password: user.password,
        strategy: 'local',
        remember: true,
      });
      assert.equal(res.status, 201);
    });
  });

  describe(`feathers sign-in under overload (${backend.name})`, () => {
    let server: FeathersTestServer;
    before(async () => {
      server = await startFeathersServer(backend, {
        overrides: { 'hash.concurrency': 1, 'hash.maxQueue': 0 },
      });
    });
    after(async () => server.close());

    test('a full hashing queue answers Unavailable 503 with Retry-After, never a 500', async () => {
      const user = await feathersUser(server);
      const answers = await Promise.all(
        Array.from({ length: 6 }, () =>
          post(server, '/auth/login', { email: user.email, password: user.password }),
        ),
      );
      const unavailable = answers.filter((a) => a.status === 503);
      assert.ok(unavailable.length > 0, `statuses: ${answers.map((a) => a.status).join(',')}`);
      for (const res of unavailable) {
        assertFeathersError(res, 503, 'Unavailable');
        assert.ok(Number(res.headers['retry-after']) >= 1);
      }
      assert.ok(answers.every((a) => a.status === 201 || a.status === 503 || a.status === 429));
    });
  });
}
