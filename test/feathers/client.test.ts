import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import authenticationClient, { MemoryStorage } from '@feathersjs/authentication-client';
import { feathers } from '@feathersjs/feathers';
import restClient from '@feathersjs/rest-client';
import { backends } from '../helpers/backends.js';
import { type FeathersTestServer, feathersUser, post, startFeathersServer } from './support.js';

// CommonJS packages: under NodeNext their default import is module.exports, whose `default` is the factory.
const authentication = authenticationClient.default;
const rest = restClient.default;

/**
 * The real Feathers v5 client (@feathersjs/authentication-client over
 * @feathersjs/rest-client with fetch) against a Latchkey listening on a loopback port:
 * sign in, re-authenticate, sign out, and the token is refused afterwards.
 */
for (const backend of await backends()) {
  describe(`the real Feathers client against a running Latchkey (${backend.name})`, () => {
    let server: FeathersTestServer;
    let base: string;
    before(async () => {
      server = await startFeathersServer(backend);
      await server.app.listen({ port: 0, host: '127.0.0.1' });
      const address = server.app.server.address();
      assert.ok(address && typeof address === 'object');
      base = `http://127.0.0.1:${address.port}`;
    });
    after(async () => server.close());

    function client() {
      const storage = new MemoryStorage();
      const app = feathers();
      app.configure(rest(base).fetch(fetch));
      app.configure(authentication({ storage }));
      return { app, storage };
    }

    test('authenticate (local), reAuthenticate (jwt), logout; the token is refused afterwards', async () => {
      const user = await feathersUser(server);
      const { app, storage } = client();

      const result = await app.authenticate({
        strategy: 'local',
        email: user.email,
        password: user.password,
      });
      assert.equal(typeof result.accessToken, 'string');
      assert.equal(result.user._id, user.id);
      assert.equal(result.user.email, user.email);
      assert.equal(result.authentication.strategy, 'local');
      assert.equal(await storage.getItem('feathers-jwt'), result.accessToken, 'the client stored the token');

      // A new client with the stored token, as after a page reload: reAuthenticate uses the jwt strategy.
      const reloaded = feathers();
      reloaded.configure(rest(base).fetch(fetch));
      reloaded.configure(authentication({ storage }));
      const again = await reloaded.reAuthenticate();
      assert.equal(again.accessToken, result.accessToken, 'Feathers answers the same token');
      assert.equal(again.authentication.strategy, 'jwt');
      assert.equal(again.user._id, user.id);
      const forced = await reloaded.reAuthenticate(true);
      assert.equal(forced.user._id, user.id);

      const out = await reloaded.logout();
      assert.equal(out?.accessToken, result.accessToken);
      assert.equal(await storage.getItem('feathers-jwt'), undefined, 'the client forgot the token');

      // Latchkey really revoked it: the old token is refused by every route.
      const viaJwt = await post(server, '/authentication', {
        strategy: 'jwt',
        accessToken: result.accessToken,
      });
      assert.equal(viaJwt.status, 401);
      assert.equal((await post(server, '/auth/token', { token: result.accessToken })).status, 401);
      await storage.setItem('feathers-jwt', result.accessToken);
      await assert.rejects(client().app.reAuthenticate(), (err: Error & { code?: number; name?: string }) => {
        assert.equal(err.name, 'NotAuthenticated');
        assert.equal(err.code, 401);
        return true;
      });
      const third = feathers();
      third.configure(rest(base).fetch(fetch));
      third.configure(authentication({ storage }));
      await assert.rejects(third.reAuthenticate(), (err: Error & { code?: number; className?: string }) => {
        assert.equal(err.code, 401);
        assert.equal(err.className, 'not-authenticated');
        return true;
      });
    });

    test('the client sees Feathers errors: a wrong password is NotAuthenticated with the real class', async () => {
      const user = await feathersUser(server);
      const { app } = client();
      await assert.rejects(
        app.authenticate({ strategy: 'local', email: user.email, password: 'not the password' }),
        (err: Error & { code?: number; className?: string; errors?: unknown }) => {
          assert.equal(err.name, 'NotAuthenticated');
          assert.equal(err.message, 'Invalid login');
          assert.equal(err.code, 401);
          assert.equal(err.className, 'not-authenticated');
          assert.deepEqual(err.errors, {});
          return true;
        },
      );
    });

    test('the legacy routes over the same client transport: create on auth/local and auth/token answer 201 bodies', async () => {
      const user = await feathersUser(server);
      const { app } = client();
      const local = (await app
        .service('auth/local')
        .create({ email: user.email, password: user.password })) as {
        token: string;
        data: { _id: string };
      };
      assert.equal(local.data._id, user.id);
      const token = (await app
        .service('auth/token')
        .create({}, { headers: { Authorisation: local.token } })) as { token: string; data: { _id: string } };
      assert.equal(token.data._id, user.id);
      assert.notEqual(token.token, local.token);
    });
  });
}
