import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { backends } from '../helpers/backends.js';
import { bearer } from '../helpers/rpc.js';
import {
  assertFeathersError,
  call,
  claims,
  type FeathersTestServer,
  feathersUser,
  INVALID_LOGIN,
  login,
  post,
  startFeathersServer,
} from './support.js';

const PAYLOAD_KEYS = ['_id', 'amr', 'aud', 'exp', 'iat', 'iss', 'jti', 'sid', 'sub'];

for (const backend of await backends()) {
  describe(`feathers /authentication (${backend.name})`, () => {
    let server: FeathersTestServer;
    before(async () => {
      server = await startFeathersServer(backend);
    });
    after(async () => server.close());

    test('strategy local: 201 {accessToken, authentication: {strategy, payload}, user}', async () => {
      const user = await feathersUser(server);
      const res = await post(server, '/authentication', {
        strategy: 'local',
        email: user.email,
        password: user.password,
      });
      assert.equal(res.status, 201, JSON.stringify(res.body));
      assert.deepEqual(Object.keys(res.body).sort(), ['accessToken', 'authentication', 'user']);
      const accessToken = res.body['accessToken'] as string;
      const authentication = res.body['authentication'] as {
        strategy: string;
        payload: Record<string, unknown>;
      };
      assert.equal(authentication.strategy, 'local');
      assert.deepEqual(Object.keys(authentication.payload).sort(), PAYLOAD_KEYS);
      assert.deepEqual(authentication.payload, claims(accessToken));
      assert.equal((res.body['user'] as { _id: string })._id, user.id);
      assert.doesNotMatch(res.raw.body, /argon2|password/i);
    });

    test('strategy jwt: 201 with the same token (Feathers issues none), its payload and the user', async () => {
      const user = await feathersUser(server);
      const token = await login(server, user.email, user.password);
      const res = await post(server, '/authentication', { strategy: 'jwt', accessToken: token });
      assert.equal(res.status, 201, JSON.stringify(res.body));
      assert.equal(res.body['accessToken'], token);
      assert.deepEqual(res.body['authentication'], {
        strategy: 'jwt',
        accessToken: token,
        payload: claims(token),
      });
      assert.equal((res.body['user'] as { email: string }).email, user.email);
    });

    test('strategy errors in Feathers words; bad local input is a BadRequest; credential failures read alike', async () => {
      assertFeathersError(
        await post(server, '/authentication', {}),
        401,
        'NotAuthenticated',
        'Invalid authentication information (no `strategy` set)',
      );
      assertFeathersError(
        await post(server, '/authentication'),
        401,
        'NotAuthenticated',
        /no `strategy` set/,
      );
      assertFeathersError(
        await post(server, '/authentication', { strategy: 'oauth' }),
        401,
        'NotAuthenticated',
        'Invalid authentication information (strategy not allowed in authStrategies)',
      );
      const missing = await post(server, '/authentication', { strategy: 'local', email: 'a@b.example' });
      assertFeathersError(missing, 400, 'BadRequest');
      assert.deepEqual(Object.keys(missing.body['errors'] as object), ['password']);
      assertFeathersError(await post(server, '/authentication', { strategy: 7 }), 400, 'BadRequest');
      assertFeathersError(
        await post(server, '/authentication', { strategy: 'jwt' }),
        401,
        'NotAuthenticated',
        'No access token',
      );
      assertFeathersError(
        await post(server, '/authentication', { strategy: 'jwt', accessToken: 'x.y.z' }),
        401,
        'NotAuthenticated',
        'Invalid access token',
      );
      const wrong = await post(server, '/authentication', {
        strategy: 'local',
        email: 'nobody@nowhere.example',
        password: 'whatever it is',
      });
      assert.equal(wrong.raw.body, JSON.stringify(INVALID_LOGIN));
    });

    test('DELETE /authentication signs out: 200 with the authentication, and the token is refused after', async () => {
      const user = await feathersUser(server);
      const token = await login(server, user.email, user.password);
      const res = await call(server, 'DELETE', '/authentication', undefined, bearer(token));
      assert.equal(res.status, 200, JSON.stringify(res.body));
      assert.equal(res.body['accessToken'], token);
      assert.deepEqual(res.body['authentication'], {
        strategy: 'jwt',
        accessToken: token,
        payload: claims(token),
      });
      assertFeathersError(
        await call(server, 'DELETE', '/authentication', undefined, bearer(token)),
        401,
        'NotAuthenticated',
      );
      assertFeathersError(
        await post(server, '/authentication', { strategy: 'jwt', accessToken: token }),
        401,
        'NotAuthenticated',
      );
      const session = await server.services.repos.sessions.findSession(String(claims(token)['sid']));
      assert.equal(session?.revokeReason, 'sign_out', 'revoked in storage, not only forgotten by the client');
    });

    test('DELETE /authentication/:id: the id must be the token itself; Authorisation and JWT work too', async () => {
      const user = await feathersUser(server);
      const token = await login(server, user.email, user.password);
      const other = await login(server, user.email, user.password);
      assertFeathersError(
        await call(server, 'DELETE', `/authentication/${other}`, undefined, bearer(token)),
        401,
        'NotAuthenticated',
        'Invalid access token',
      );
      assert.equal((await post(server, '/auth/token', { token: other })).status, 201, 'nothing was revoked');
      const res = await call(server, 'DELETE', `/authentication/${token}`, undefined, {
        authorisation: `JWT ${token}`,
      });
      assert.equal(res.status, 200, JSON.stringify(res.body));
      assertFeathersError(await post(server, '/auth/token', { token }), 401, 'NotAuthenticated');
    });

    test('a token in a path no route takes (trailing slash, deeper path) never reaches the request log', async () => {
      const user = await feathersUser(server);
      const token = await login(server, user.email, user.password);
      const encoded = token.replaceAll('.', '%2E');
      const paths = [
        `/authentication/${token}/`,
        `/authentication/${token}/x`,
        `/authentication/x/${token}`,
        `/authentication/${encoded}/`,
        `/auth/${token}`,
      ];
      for (const [i, url] of paths.entries()) {
        const requestId = `log-path-${i}`;
        const res = await server.app.inject({
          method: 'DELETE',
          url,
          headers: { 'x-request-id': requestId },
        });
        assert.equal(res.statusCode, 404, url);
        const lines = server.logs.filter((line) => line.includes(`"reqId":"${requestId}"`));
        assert.ok(
          lines.some((line) => line.includes('"msg":"request"')),
          `the request to ${url} was logged`,
        );
      }
      const logs = server.logs.join('');
      // The header is every token's; the claims and the signature are this token's alone.
      for (const part of token.split('.').slice(1)) {
        assert.ok(!logs.includes(part), 'the logs hold part of the token');
      }
      assert.ok(!logs.includes(token.split('.')[0]!), "the logs hold a token's header");
    });

    test("DELETE without a token: 401 'Not authenticated'; other verbs 405; deeper paths 404", async () => {
      assertFeathersError(
        await call(server, 'DELETE', '/authentication'),
        401,
        'NotAuthenticated',
        'Not authenticated',
      );
      for (const method of ['GET', 'PUT', 'PATCH'] as const) {
        const res = await call(server, method, '/authentication');
        assertFeathersError(res, 405, 'MethodNotAllowed');
        assert.equal(res.headers['allow'], 'POST, DELETE');
        const withId = await call(server, method, '/authentication/abc');
        assertFeathersError(withId, 405, 'MethodNotAllowed');
        assert.equal(withId.headers['allow'], 'DELETE');
      }
      assertFeathersError(
        await call(server, 'GET', '/authentication/abc'),
        405,
        'MethodNotAllowed',
        'Method `get` is not supported by this endpoint.',
      );
      assertFeathersError(await call(server, 'POST', '/authentication/abc'), 405, 'MethodNotAllowed');
      const deep = await server.app.inject({ method: 'GET', url: '/authentication/a/b' });
      assert.equal(deep.statusCode, 404);
      assert.equal(deep.json().className, 'not-found');
    });
  });
}
