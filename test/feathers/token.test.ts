import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { backends } from '../helpers/backends.js';
import { bearer, signIn as rpcSignIn } from '../helpers/rpc.js';
import {
  assertFeathersError,
  call,
  claims,
  type FeathersTestServer,
  feathersUser,
  login,
  post,
  startFeathersServer,
} from './support.js';

const HOUR = 3600_000;

for (const backend of await backends()) {
  describe(`feathers /auth/token (${backend.name})`, () => {
    let server: FeathersTestServer;
    before(async () => {
      server = await startFeathersServer(backend);
    });
    after(async () => server.close());

    /** Every place a token may travel, as [description, how to send it]. */
    const VARIANTS: Array<
      [string, (t: string) => { body?: unknown; headers?: Record<string, string>; query?: string }]
    > = [
      ['Authorization: Bearer', (t) => ({ headers: { authorization: `Bearer ${t}` } })],
      ['Authorization: bearer (any case)', (t) => ({ headers: { authorization: `bearer ${t}` } })],
      ['Authorization: JWT', (t) => ({ headers: { authorization: `JWT ${t}` } })],
      ['Authorization: bare token', (t) => ({ headers: { authorization: t } })],
      ['Authorisation: Bearer', (t) => ({ headers: { authorisation: `Bearer ${t}` } })],
      ['Authorisation: JWT', (t) => ({ headers: { authorisation: `JWT ${t}` } })],
      ['Authorisation: bare token (the seed)', (t) => ({ headers: { authorisation: t } })],
      ['body.token', (t) => ({ body: { token: t } })],
      ['query.token', (t) => ({ query: `?token=${encodeURIComponent(t)}` })],
    ];

    async function exchange(variant: ReturnType<(typeof VARIANTS)[number][1]>) {
      return call(server, 'POST', `/auth/token${variant.query ?? ''}`, variant.body, variant.headers ?? {});
    }

    for (const [name, send] of VARIANTS) {
      test(`${name}: 201 with a fresh token of the same session and the current data`, async () => {
        const user = await feathersUser(server);
        const token = await login(server, user.email, user.password);
        server.clock.advance(1000);
        const res = await exchange(send(token));
        assert.equal(res.status, 201, JSON.stringify(res.body));
        assert.deepEqual(Object.keys(res.body).sort(), ['data', 'token']);
        const fresh = res.body['token'] as string;
        assert.notEqual(fresh, token);
        assert.equal(claims(fresh)['sid'], claims(token)['sid'], 'same session');
        assert.notEqual(claims(fresh)['jti'], claims(token)['jti'], 'a new credential');
        assert.ok(Number(claims(fresh)['exp']) > Number(claims(token)['exp']), 'a fresh day');
        assert.equal((res.body['data'] as { _id: string })._id, user.id);
      });
    }

    test("the seed's token example: POST /auth/local (or /auth/login) with only `Authorisation` re-authenticates", async () => {
      const user = await feathersUser(server);
      const token = await login(server, user.email, user.password);
      const res = await call(server, 'POST', '/auth/local', undefined, { authorisation: token });
      assert.equal(res.status, 201, JSON.stringify(res.body));
      assert.equal(claims(res.body['token'] as string)['sid'], claims(token)['sid']);
      const viaLogin = await call(server, 'POST', '/auth/login', { token: res.body['token'] });
      assert.equal(viaLogin.status, 201);
      // Credentials, when given, are what count: a token alongside them is not used.
      const both = await call(
        server,
        'POST',
        '/auth/login',
        { email: user.email, password: 'wrong password 1' },
        bearer(token),
      );
      assert.equal(both.status, 401);
      assertFeathersError(
        await call(server, 'POST', '/auth/local', undefined, { authorisation: 'garbage' }),
        401,
        'NotAuthenticated',
      );
      const nothing = await call(server, 'POST', '/auth/local');
      assertFeathersError(nothing, 400, 'BadRequest');
      assert.deepEqual(Object.keys(nothing.body['errors'] as object).sort(), ['email', 'password']);
    });

    test('precedence: body.token wins over the header, the header over the query; empty values are absent', async () => {
      const user = await feathersUser(server);
      const token = await login(server, user.email, user.password);
      const bodyWins = await call(
        server,
        'POST',
        '/auth/token',
        { token },
        { authorization: 'Bearer garbage' },
      );
      assert.equal(bodyWins.status, 201);
      const token2 = bodyWins.body['token'] as string;
      const badBody = await call(server, 'POST', '/auth/token', { token: 'garbage' }, bearer(token2));
      assertFeathersError(badBody, 401, 'NotAuthenticated', 'Invalid access token');
      const headerOverQuery = await call(
        server,
        'POST',
        '/auth/token?token=garbage',
        undefined,
        bearer(token2),
      );
      assert.equal(headerOverQuery.status, 201);
      const token3 = headerOverQuery.body['token'] as string;
      const emptyBody = await call(server, 'POST', '/auth/token', { token: '' }, bearer(token3));
      assert.equal(emptyBody.status, 201, 'an empty body.token counts as absent');
      // Authorization is read before Authorisation; a foreign scheme counts as no token.
      const otherScheme = await call(server, 'POST', '/auth/token', undefined, {
        authorization: 'Basic dXNlcjpwYXNz',
        authorisation: `Bearer ${emptyBody.body['token'] as string}`,
      });
      assert.equal(otherScheme.status, 201);
    });

    test("no token anywhere: 401 'No access token'; a foreign scheme only is no token either", async () => {
      assertFeathersError(await post(server, '/auth/token'), 401, 'NotAuthenticated', 'No access token');
      assertFeathersError(await post(server, '/auth/token', {}), 401, 'NotAuthenticated', 'No access token');
      assertFeathersError(
        await call(server, 'POST', '/auth/token', undefined, { authorization: 'Basic dXNlcjpwYXNz' }),
        401,
        'NotAuthenticated',
        'No access token',
      );
      assertFeathersError(await post(server, '/auth/token', { token: 42 }), 400, 'BadRequest');
      assertFeathersError(await call(server, 'POST', '/auth/token?token=a&token=b'), 400, 'BadRequest');
    });

    test("refused tokens: garbage, another dialect's kind, expired ('jwt expired'), a deactivated user's", async () => {
      const user = await feathersUser(server);
      assertFeathersError(
        await post(server, '/auth/token', { token: 'not.a.token' }),
        401,
        'NotAuthenticated',
        'Invalid access token',
      );
      const rpcToken = await rpcSignIn(server, user.username!, user.password);
      assertFeathersError(
        await post(server, '/auth/token', { token: rpcToken }),
        401,
        'NotAuthenticated',
        'Invalid access token',
      );
      const token = await login(server, user.email, user.password);
      server.clock.advance(24 * HOUR + (server.config.clockSkewSeconds + 1) * 1000);
      assertFeathersError(
        await post(server, '/auth/token', { token }),
        401,
        'NotAuthenticated',
        'jwt expired',
      );
      const other = await feathersUser(server);
      const live = await login(server, other.email, other.password);
      await server.services.users.deactivate(other.appId, other.id, { context: undefined });
      assertFeathersError(
        await post(server, '/auth/token', { token: live }),
        401,
        'NotAuthenticated',
        'Invalid access token',
      );
    });

    test('the data is current: an integration enabled after sign-in shows in the re-authentication', async () => {
      const user = await feathersUser(server);
      const token = await login(server, user.email, user.password);
      await server.services.integrations.enable(user.appId, user.id, 'drive');
      const res = await post(server, '/auth/token', { token });
      const data = res.body['data'] as { integrations: Array<{ name: string }> };
      assert.deepEqual(
        data.integrations.map((i) => i.name),
        ['drive'],
      );
    });

    test('signing out ends every token of the session: the first, the exchanged one, and any later', async () => {
      const user = await feathersUser(server);
      const first = await login(server, user.email, user.password);
      const second = (await post(server, '/auth/token', { token: first })).body['token'] as string;
      const out = await call(server, 'DELETE', '/authentication', undefined, bearer(second));
      assert.equal(out.status, 200, JSON.stringify(out.body));
      for (const token of [first, second]) {
        assertFeathersError(await post(server, '/auth/token', { token }), 401, 'NotAuthenticated');
        assertFeathersError(
          await post(server, '/authentication', { strategy: 'jwt', accessToken: token }),
          401,
          'NotAuthenticated',
        );
      }
      // Another session of the same user is untouched.
      const again = await login(server, user.email, user.password);
      assert.equal((await post(server, '/auth/token', { token: again })).status, 201);
    });

    test('rotation: concurrent exchanges within the grace window agree; exchanging a used token later ends the session', async () => {
      const user = await feathersUser(server);
      const token = await login(server, user.email, user.password);
      const answers = await Promise.all(
        Array.from({ length: 8 }, () => post(server, '/auth/token', { token })),
      );
      assert.ok(answers.every((a) => a.status === 201));
      assert.equal(new Set(answers.map((a) => a.body['token'])).size, 1, 'one successor');
      const successor = answers[0]!.body['token'] as string;
      server.clock.advance((server.config.refreshGraceSeconds + 1) * 1000);
      assertFeathersError(await post(server, '/auth/token', { token }), 401, 'NotAuthenticated');
      assertFeathersError(
        await post(server, '/auth/token', { token: successor }),
        401,
        'NotAuthenticated',
        'Invalid access token',
      );
    });
  });

  describe(`feathers token lifetime is configurable and bounded by the session (${backend.name})`, () => {
    let server: FeathersTestServer;
    before(async () => {
      server = await startFeathersServer(backend, {
        overrides: { 'feathers.tokenTtlSeconds': 600, sessionTtlSeconds: 3600 },
      });
    });
    after(async () => server.close());

    test('feathers.tokenTtlSeconds sets exp − iat, never past the session end, and the token is revocable', async () => {
      const user = await feathersUser(server);
      const token = await login(server, user.email, user.password);
      assert.equal(Number(claims(token)['exp']) - Number(claims(token)['iat']), 600);
      let current = token;
      for (let minutes = 9; minutes <= 54; minutes += 9) {
        server.clock.advance(9 * 60_000);
        current = (await post(server, '/auth/token', { token: current })).body['token'] as string;
      }
      // 54 minutes in: the session ends at 60, so the fresh token lives 6 minutes, not 10.
      assert.equal(Number(claims(current)['exp']) - Number(claims(current)['iat']), 360);
      server.clock.advance(7 * 60_000);
      assertFeathersError(
        await post(server, '/auth/token', { token: current }),
        401,
        'NotAuthenticated',
        'jwt expired',
      );

      const again = await login(server, user.email, user.password);
      assert.equal((await call(server, 'DELETE', '/authentication', undefined, bearer(again))).status, 200);
      assertFeathersError(await post(server, '/auth/token', { token: again }), 401, 'NotAuthenticated');
    });
  });
}
