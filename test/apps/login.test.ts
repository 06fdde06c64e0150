import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { App } from '../../src/identity/types.js';
import { backends } from '../helpers/backends.js';
import { startTestServer, type TestServer } from '../helpers/server.js';
import {
  apps,
  claimsOf,
  createApp,
  gate,
  headerOf,
  isAppsError,
  readyLogin,
  signIn,
  startAppsServer,
} from './support.js';

const PORTAL = 'acme/portal';

for (const backend of await backends()) {
  describe(`apps dialect: POST …/auth/login (${backend.name})`, () => {
    let server: Awaited<ReturnType<typeof startAppsServer>>;
    let portal: App;
    before(async () => {
      server = await startAppsServer(backend);
      portal = await createApp(server, PORTAL);
      await readyLogin(server, portal, 'alice@example.com', 'alice-password-1', {
        email: 'alice@example.com',
      });
    });
    after(async () => server.close());

    test('200: the principal token, 3600 s, and the profile WSID in the reference layout', async () => {
      const res = await apps(server, PORTAL, '/auth/login', {
        json: { login: 'alice@example.com', password: 'alice-password-1' },
      });
      assert.equal(res.status, 200, JSON.stringify(res.body));
      assert.deepEqual(Object.keys(res.body), ['principalToken', 'expiresInSeconds', 'profileWSID']);
      assert.equal(res.body['expiresInSeconds'], 3600);
      const wsid = res.body['profileWSID'] as number;
      assert.ok(Number.isSafeInteger(wsid));
      // cluster 1 << 47 | FirstBaseUserWSID: the first profile of the app.
      assert.equal(wsid, 2 ** 47 + 131071);
      assert.equal(res.headers['cache-control'], 'no-store');
    });

    test('the token carries the reference claims, is an EdDSA JWT of kind apps-principal, bound to its app and session', async () => {
      const token = await signIn(server, PORTAL, 'alice@example.com', 'alice-password-1');
      assert.deepEqual(headerOf(token)['alg'], 'EdDSA');
      assert.equal(headerOf(token)['typ'], 'apps-principal+jwt');
      const claims = claimsOf(token);
      const now = Math.floor(server.clock.now() / 1000);
      assert.equal(claims['Login'], 'alice@example.com');
      assert.equal(claims['Alias'], '');
      assert.equal(claims['SubjectKind'], 1);
      assert.equal(claims['ProfileWSID'], 2 ** 47 + 131071);
      assert.equal(claims['AppQName'], PORTAL);
      assert.equal(claims['Roles'], null);
      assert.equal(claims['GlobalRoles'], null);
      assert.equal(claims['IsAPIToken'], false);
      assert.equal(claims['Duration'], 3600 * 1e9);
      assert.equal(claims['IssuedAt'], new Date(now * 1000).toISOString().replace('.000Z', 'Z'));
      assert.equal(claims['iat'], now);
      assert.equal(claims['exp'], now + 3600);
      assert.equal(claims['aud'], PORTAL);
      assert.equal(claims['iss'], server.config.issuer);
      assert.equal(typeof claims['sid'], 'string');
      assert.equal(typeof claims['jti'], 'string');
      assert.equal(typeof claims['sub'], 'string');
    });

    test("400: malformed JSON and non-object bodies are `invalid 'args' parameter`", async () => {
      for (const payload of ['{', '{"login":', '[1,2]', '"text"', '42', 'true', 'nul']) {
        const res = await apps(server, PORTAL, '/auth/login', { payload });
        assert.equal(res.status, 400, payload);
        assert.deepEqual(res.body, { status: 400, message: "invalid 'args' parameter" }, payload);
      }
    });

    test('400: missing, null and empty fields name the field(s); an empty body names both', async () => {
      const cases: Array<[unknown, string]> = [
        [{ password: 'x' }, 'field "login" is empty'],
        [{ login: 'alice@example.com' }, 'field "password" is empty'],
        [{ login: null, password: 'x' }, 'field "login" is empty'],
        [{ login: '', password: '' }, 'field "login" is empty; field "password" is empty'],
        [{}, 'field "login" is empty; field "password" is empty'],
        [null, 'field "login" is empty; field "password" is empty'],
        // Keys are case-sensitive: `Login` is an unknown (ignored) key.
        [
          { Login: 'alice@example.com', Password: 'alice-password-1' },
          'field "login" is empty; field "password" is empty',
        ],
      ];
      for (const [json, message] of cases) {
        const res = await apps(server, PORTAL, '/auth/login', { json });
        assert.equal(res.status, 400, JSON.stringify(json));
        assert.deepEqual(res.body, { status: 400, message }, JSON.stringify(json));
      }
      const empty = await apps(server, PORTAL, '/auth/login');
      assert.deepEqual(empty.body, {
        status: 400,
        message: 'field "login" is empty; field "password" is empty',
      });
    });

    test('400: a field of another type than string', async () => {
      for (const [json, field] of [
        [{ login: 1, password: 'x' }, 'login'],
        [{ login: ['a'], password: 'x' }, 'login'],
        [{ login: 'a', password: { p: 1 } }, 'password'],
        [{ login: 'a', password: false }, 'password'],
      ] as const) {
        const res = await apps(server, PORTAL, '/auth/login', { json });
        assert.deepEqual(res.body, {
          status: 400,
          message: `field "${field}" must be a string: field type mismatch`,
        });
      }
    });

    test('400: a malformed or unknown app path, and the default (rpc) app', async () => {
      const body = { json: { login: 'alice@example.com', password: 'alice-password-1' } };
      const malformed = await apps(server, 'Acme/Portal', '/auth/login', body);
      assert.deepEqual(malformed.body, { status: 400, message: 'invalid app QName: Acme/Portal' });
      const unknown = await apps(server, 'acme/nothing', '/auth/login', body);
      assert.deepEqual(unknown.body, { status: 400, message: 'unknown app: acme/nothing' });
      const rpcApp = await apps(server, server.config.defaultApp, '/auth/login', body);
      assert.equal(rpcApp.status, 400);
      assert.ok(isAppsError(rpcApp.body, 400));
    });

    test('401 alike: unknown login, wrong password, other case of the login, deactivated login', async () => {
      const bob = await readyLogin(server, portal, 'bob', 'bob-password-1');
      await server.services.users.deactivate(portal.id, bob.id, { context: undefined });
      for (const [login, password] of [
        ['nobody', 'alice-password-1'],
        ['alice@example.com', 'wrong-password'],
        ['Alice@example.com', 'alice-password-1'],
        ['bob', 'bob-password-1'],
      ]) {
        const res = await apps(server, PORTAL, '/auth/login', { json: { login, password } });
        assert.equal(res.status, 401, login);
        assert.deepEqual(res.body, { status: 401, message: 'login or password is incorrect' });
        assert.equal(res.headers['retry-after'], undefined);
      }
    });

    test('413 and 415 in the error object', async () => {
      const big = await apps(server, PORTAL, '/auth/login', {
        json: { login: 'a', password: 'p'.repeat(server.config.bodyLimitBytes) },
      });
      assert.equal(big.status, 413);
      assert.ok(isAppsError(big.body, 413));
      for (const contentType of [
        'text/plain',
        'application/x-www-form-urlencoded',
        'multipart/form-data; boundary=x',
      ]) {
        const res = await apps(server, PORTAL, '/auth/login', { payload: 'login=a&password=b', contentType });
        assert.equal(res.status, 415, contentType);
        assert.ok(isAppsError(res.body, 415));
      }
    });

    test('405 for other verbs (HTTP error shape, like every dialect)', async () => {
      const res = await apps(server, PORTAL, '/auth/login', { method: 'GET' });
      assert.equal(res.status, 405);
      assert.equal(res.headers['allow'], 'POST');
      // Named by the apps path, not by a tail that reads like the feathers dialect's /auth/login.
      assert.equal(
        (res.body as { message: string }).message,
        `/api/v2/apps/${PORTAL}/auth/login accepts POST only`,
      );
    });
  });

  describe(`apps dialect: login throttling (${backend.name})`, () => {
    let server: TestServer;
    let portal: App;
    before(async () => {
      server = await startTestServer(backend);
      portal = await createApp(server, PORTAL);
    });
    after(async () => server.close());

    test('429 with Retry-After after 5 failures on one login, even with the right password; no lockout after the delay', async () => {
      await readyLogin(server, portal, 'carol', 'carol-password-1');
      for (let i = 0; i < 6; i++) {
        const res = await apps(server, PORTAL, '/auth/login', {
          json: { login: 'carol', password: `wrong-${i}-pw` },
        });
        assert.equal(res.status, 401);
      }
      const blocked = await apps(server, PORTAL, '/auth/login', {
        json: { login: 'carol', password: 'carol-password-1' },
      });
      assert.equal(blocked.status, 429);
      assert.equal(blocked.headers['retry-after'], '1');
      assert.deepEqual(blocked.body, { status: 429, message: '' });
      server.clock.advance(1000);
      const ok = await apps(server, PORTAL, '/auth/login', {
        json: { login: 'carol', password: 'carol-password-1' },
      });
      assert.equal(ok.status, 200);
    });

    test('an unknown login is throttled exactly like a real one', async () => {
      await readyLogin(server, portal, 'dave', 'dave-password-1');
      const statuses = async (login: string) => {
        const out: number[] = [];
        for (let i = 0; i < 8; i++)
          out.push(
            (await apps(server, PORTAL, '/auth/login', { json: { login, password: `wrong-${i}-pw` } }))
              .status,
          );
        return out;
      };
      assert.deepEqual(await statuses('never-existed'), await statuses('dave'));
    });

    test('per client address: spraying 50 logins from one address, then 429 for any login', async () => {
      const remoteAddress = '192.0.2.7';
      for (let i = 0; i < 51; i++) {
        const res = await apps(server, PORTAL, '/auth/login', {
          json: { login: `spray-${i}`, password: 'guess-password' },
          remoteAddress,
        });
        assert.equal(res.status, 401, `attempt ${i}`);
      }
      const res = await apps(server, PORTAL, '/auth/login', {
        json: { login: 'someone-else', password: 'guess-password' },
        remoteAddress,
      });
      assert.equal(res.status, 429);
      assert.ok(Number(res.headers['retry-after']) >= 1);
      // Another address is not affected.
      const other = await apps(server, PORTAL, '/auth/login', {
        json: { login: 'someone-else', password: 'guess-password' },
        remoteAddress: '192.0.2.8',
      });
      assert.equal(other.status, 401);
    });

    test('limits are per app: failures in one app do not throttle the same login in another', async () => {
      const other = await createApp(server, 'acme/other');
      await readyLogin(server, other, 'erin', 'erin-password-1');
      await readyLogin(server, portal, 'erin', 'erin-password-2');
      for (let i = 0; i < 8; i++)
        await apps(server, PORTAL, '/auth/login', { json: { login: 'erin', password: `wrong-${i}-pw` } });
      assert.equal(
        (await apps(server, PORTAL, '/auth/login', { json: { login: 'erin', password: 'erin-password-2' } }))
          .status,
        429,
      );
      assert.equal(
        (
          await apps(server, 'acme/other', '/auth/login', {
            json: { login: 'erin', password: 'erin-password-1' },
          })
        ).status,
        200,
      );
    });
  });

  describe(`apps dialect: tenant isolation (${backend.name})`, () => {
    let server: TestServer;
    before(async () => {
      server = await startTestServer(backend);
      const a = await createApp(server, 'acme/one');
      const b = await createApp(server, 'acme/two');
      await readyLogin(server, a, 'frank', 'password-in-one');
      await readyLogin(server, b, 'frank', 'password-in-two');
    });
    after(async () => server.close());

    test('the same login in two apps is two accounts with their own passwords and profiles', async () => {
      const one = await apps(server, 'acme/one', '/auth/login', {
        json: { login: 'frank', password: 'password-in-one' },
      });
      const two = await apps(server, 'acme/two', '/auth/login', {
        json: { login: 'frank', password: 'password-in-two' },
      });
      assert.equal(one.status, 200);
      assert.equal(two.status, 200);
      assert.notEqual(
        claimsOf(one.body['principalToken'] as string)['sub'],
        claimsOf(two.body['principalToken'] as string)['sub'],
      );
      // Each app has its own WSID sequence.
      assert.equal(one.body['profileWSID'], 2 ** 47 + 131071);
      assert.equal(two.body['profileWSID'], 2 ** 47 + 131071);
      for (const [app, password] of [
        ['acme/one', 'password-in-two'],
        ['acme/two', 'password-in-one'],
      ]) {
        const res = await apps(server, app!, '/auth/login', { json: { login: 'frank', password } });
        assert.equal(res.status, 401, `${app} accepted the other app's password`);
      }
    });

    test('a token of one app is refused by the other with 401 (refresh and sign-out)', async () => {
      const one = await signIn(server, 'acme/one', 'frank', 'password-in-one');
      for (const path of ['/auth/refresh', '/auth/logout']) {
        const res = await apps(server, 'acme/two', path, { token: one });
        assert.equal(res.status, 401, path);
        assert.deepEqual(res.body, { status: 401, message: 'invalid token' });
      }
      // ...and still works in its own app.
      assert.equal((await apps(server, 'acme/one', '/auth/refresh', { token: one })).status, 200);
    });
  });

  describe(`apps dialect: 409 until the profile is ready, then 200 (${backend.name})`, () => {
    let server: TestServer;
    before(async () => {
      server = await startTestServer(backend);
    });
    after(async () => server.close());

    test('login answers 409 while provisioning runs, a wrong password stays 401, then 200', async () => {
      const app = await createApp(server, 'acme/slow');
      const started = gate();
      const release = gate();
      server.services.appsCore.worker.provision = async () => {
        started.resolve();
        await release.promise;
      };
      await server.services.appsCore.logins.createLogin(app, {
        login: 'grace',
        password: 'grace-password-1',
        email: null,
        fullName: null,
        subjectKind: 1,
      });
      const running = server.services.appsCore.worker.runDue();
      await started.promise;
      const pending = await apps(server, 'acme/slow', '/auth/login', {
        json: { login: 'grace', password: 'grace-password-1' },
      });
      assert.equal(pending.status, 409);
      assert.deepEqual(pending.body, {
        status: 409,
        message: 'profile workspace is not yet ready, try again later',
      });
      const wrong = await apps(server, 'acme/slow', '/auth/login', {
        json: { login: 'grace', password: 'not-her-password' },
      });
      assert.equal(wrong.status, 401, 'the password is checked before readiness');
      release.resolve();
      await running;
      await server.services.appsCore.worker.runDue();
      const ready = await apps(server, 'acme/slow', '/auth/login', {
        json: { login: 'grace', password: 'grace-password-1' },
      });
      assert.equal(ready.status, 200);
      assert.equal(ready.body['profileWSID'], 2 ** 47 + 131071);
    });

    test('a user made outside the dialect (admin API) gets a profile at its first sign-in: 409, then 200', async () => {
      const app = await createApp(server, 'acme/lazy');
      server.services.appsCore.worker.provision = async () => {};
      await server.services.users.create(app.id, {
        username: 'henry',
        password: 'henry-password-1',
        emails: [{ address: 'henry@example.com', isPrimary: true, isVerified: true }],
      });
      // The worker may or may not have run by the time the answer is built; either way no 200 before the job.
      const first = await apps(server, 'acme/lazy', '/auth/login', {
        json: { login: 'henry', password: 'henry-password-1' },
      });
      assert.equal(first.status, 409);
      await server.services.appsCore.worker.runDue();
      const second = await apps(server, 'acme/lazy', '/auth/login', {
        json: { login: 'henry', password: 'henry-password-1' },
      });
      assert.equal(second.status, 200);
    });

    test('503 with Retry-After when the password-hashing queue is full', async () => {
      const busy = await startTestServer(backend, {
        overrides: { 'hash.concurrency': 1, 'hash.maxQueue': 0 },
      });
      try {
        const app = await createApp(busy, 'acme/busy');
        await readyLogin(busy, app, 'ivan', 'ivan-password-1');
        const answers = await Promise.all(
          Array.from({ length: 8 }, () =>
            apps(busy, 'acme/busy', '/auth/login', { json: { login: 'ivan', password: 'ivan-password-1' } }),
          ),
        );
        const refused = answers.filter((r) => r.status === 503);
        assert.ok(refused.length > 0, `statuses: ${answers.map((r) => r.status).join(',')}`);
        for (const r of refused) {
          assert.equal(r.headers['retry-after'], '1');
          assert.ok(isAppsError(r.body, 503));
        }
      } finally {
        await busy.close();
      }
    });
  });
}
