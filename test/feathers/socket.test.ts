import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import authenticationClient, { MemoryStorage } from '@feathersjs/authentication-client';
import { feathers } from '@feathersjs/feathers';
import socketioClient from '@feathersjs/socketio-client';
import { io, type Socket } from 'socket.io-client';
import { backends } from '../helpers/backends.js';
import { startTestServer } from '../helpers/server.js';
import {
  type FeathersTestServer,
  feathersUser,
  INVALID_LOGIN,
  PUBLIC_URL,
  post,
  startFeathersServer,
} from './support.js';

// CommonJS packages: under NodeNext their default import is module.exports, whose `default` is the factory.
const authentication = authenticationClient.default;
const socketio = socketioClient.default;

type FeathersError = Error & { code?: number; className?: string; errors?: unknown; data?: unknown };

/** Listens on a loopback port and answers its base URL. */
async function listen(server: { app: FeathersTestServer['app'] }): Promise<string> {
  await server.app.listen({ port: 0, host: '127.0.0.1' });
  const address = server.app.server.address();
  assert.ok(address && typeof address === 'object');
  return `http://127.0.0.1:${address.port}`;
}

/** An answer to one raw socket.io emit: `[error, result]`, as the Feathers protocol calls back. */
function emit(socket: Socket, ...args: unknown[]): Promise<[Record<string, unknown> | null, unknown]> {
  return new Promise((resolve) =>
    socket.emit(args[0] as string, ...args.slice(1), (error: never, result: unknown) =>
      resolve([error, result]),
    ),
  );
}

/**
 * The real Feathers v5 client over socket.io (@feathersjs/socketio-client +
 * @feathersjs/authentication-client + socket.io-client) against a Latchkey listening on a
 * loopback port, beside the REST client of client.test.ts.
 */
for (const backend of await backends()) {
  describe(`the Feathers client over socket.io (${backend.name})`, () => {
    let server: FeathersTestServer;
    let base: string;
    const sockets: Socket[] = [];
    const apps: Array<{ authentication: { reset(): Promise<null> } }> = [];
    before(async () => {
      server = await startFeathersServer(backend);
      base = await listen(server);
    });
    after(async () => {
      // A client still signed in would re-authenticate on the disconnect: it is done with.
      for (const app of apps) await app.authentication.reset();
      for (const socket of sockets) socket.close();
      await server.close();
    });

    function connect(options: Parameters<typeof io>[1] = {}): Socket {
      const socket = io(base, { transports: ['websocket'], reconnection: false, ...options });
      sockets.push(socket);
      return socket;
    }
    function client(storage = new MemoryStorage()) {
      const app = feathers();
      // socket.io-client's ESM and CommonJS typings differ; the object is the same.
      app.configure(socketio(connect() as unknown as Parameters<typeof socketio>[0]));
      app.configure(authentication({ storage }));
      apps.push(app as never);
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
      assert.equal(result.authentication.strategy, 'local');
      assert.equal(await storage.getItem('feathers-jwt'), result.accessToken);

      // A new connection with the stored token, as after a page reload.
      const reloaded = client(storage).app;
      const again = await reloaded.reAuthenticate();
      assert.equal(again.accessToken, result.accessToken);
      assert.equal(again.authentication.strategy, 'jwt');
      assert.equal(again.user._id, user.id);

      const out = await reloaded.logout();
      assert.equal(out?.accessToken, result.accessToken);
      assert.equal(await storage.getItem('feathers-jwt'), undefined, 'the client forgot the token');
      // Latchkey revoked it: refused over REST and over the socket.
      assert.equal(
        (await post(server, '/authentication', { strategy: 'jwt', accessToken: result.accessToken })).status,
        401,
      );
      await storage.setItem('feathers-jwt', result.accessToken);
      await assert.rejects(client(storage).app.reAuthenticate(), (err: FeathersError) => {
        assert.equal(err.name, 'NotAuthenticated');
        assert.equal(err.message, 'Invalid access token');
        return true;
      });
    });

    test('the same errors as over REST, as Feathers errors the client rebuilds', async () => {
      const user = await feathersUser(server);
      const { app } = client();
      await assert.rejects(
        app.authenticate({ strategy: 'local', email: user.email, password: 'not the password' }),
        (err: FeathersError) => {
          assert.equal(err.name, 'NotAuthenticated');
          assert.equal(err.message, INVALID_LOGIN.message);
          assert.equal(err.code, 401);
          assert.equal(err.className, 'not-authenticated');
          assert.deepEqual(err.errors, {});
          return true;
        },
      );
      const socket = connect();
      for (const data of [
        { strategy: 'local', email: user.email },
        {},
        { strategy: 'oauth' },
        { strategy: 'jwt' },
        { strategy: 'jwt', accessToken: 'not.a.token' },
        { strategy: 'local', email: 'nobody@example.test', password: 'whatever it is' },
      ]) {
        const rest = await post(server, '/authentication', data);
        const [error] = await emit(socket, 'create', 'authentication', data, {});
        assert.deepEqual(error, rest.body, `${JSON.stringify(data)}: the socket's error is the REST body`);
      }
    });

    test('a socket whose session is revoked is told so, and is no longer authenticated', {
      timeout: 30_000,
    }, async () => {
      const user = await feathersUser(server);
      const { app } = client();
      const result = await app.authenticate({
        strategy: 'local',
        email: user.email,
        password: user.password,
      });
      const removed = new Promise<Record<string, unknown>>((resolve) =>
        app.service('authentication').once('removed', resolve),
      );
      // Signed out elsewhere (REST, another tab).
      const rest = await server.inject({
        method: 'DELETE',
        url: '/authentication',
        headers: { authorization: `Bearer ${result.accessToken}` },
      });
      assert.equal(rest.statusCode, 200);
      assert.deepEqual(await removed, { accessToken: result.accessToken, reason: 'session revoked' });
      await assert.rejects(app.service('authentication').remove(null), (err: FeathersError) => {
        assert.equal(err.name, 'NotAuthenticated');
        return true;
      });
      await assert.rejects(app.reAuthenticate(true), (err: FeathersError) => {
        assert.equal(err.name, 'NotAuthenticated');
        return true;
      });
    });

    test('bad payloads get Feathers errors, never a crash', async () => {
      const socket = connect();
      const user = await feathersUser(server);
      const cases: Array<[unknown[], number, string]> = [
        [['create', 'authentication', 'a string', {}], 400, 'BadRequest'],
        [['create', 'authentication', [1, 2], {}], 400, 'BadRequest'],
        [['create', 'authentication', { strategy: 'local', email: 42, password: {} }, {}], 400, 'BadRequest'],
        [['create', 42, {}, {}], 400, 'BadRequest'],
        [['create', 'users', {}, {}], 404, 'NotFound'],
        [['find', 'authentication', {}], 405, 'MethodNotAllowed'],
        [['get', 'authentication', 'x', {}], 405, 'MethodNotAllowed'],
        [['patch', 'authentication', 'x', {}, {}], 405, 'MethodNotAllowed'],
        [['remove', 'authentication', { not: 'an id' }, {}], 401, 'NotAuthenticated'],
        [['remove', 'authentication', null, {}], 401, 'NotAuthenticated'],
      ];
      // No callback: nothing to answer, and the socket goes on.
      socket.emit('create', 'authentication', {
        strategy: 'local',
        email: user.email,
        password: user.password,
      });
      socket.emit('create');
      for (const [args, code, name] of cases) {
        const [error, result] = await emit(socket, ...args);
        assert.equal(result, undefined);
        assert.ok(error, JSON.stringify(args));
        assert.equal(error['code'], code, `${JSON.stringify(args)}: ${JSON.stringify(error)}`);
        assert.equal(error['name'], name);
        assert.equal(typeof error['message'], 'string');
        assert.equal(typeof error['errors'], 'object');
      }
      const [fields] = await emit(socket, 'create', 'authentication', { strategy: 'local', email: 42 }, {});
      assert.ok(fields && 'email' in (fields['errors'] as object), 'names the field');

      // A message above the body limit closes that socket; the server goes on.
      const big = connect();
      const closed = new Promise((resolve) => big.once('disconnect', resolve));
      big.emit(
        'create',
        'authentication',
        { strategy: 'local', email: 'x'.repeat(server.config.bodyLimitBytes + 10) },
        {},
        () => {},
      );
      await closed;
      const [error, ok] = await emit(
        connect(),
        'create',
        'authentication',
        {
          strategy: 'local',
          email: user.email,
          password: user.password,
        },
        {},
      );
      assert.equal(error, null);
      assert.equal((ok as { user: { _id: string } }).user._id, user.id);
    });

    test('a browser page may connect only from Latchkey’s own origin, as the REST routes send no CORS', async () => {
      const refused = connect({ extraHeaders: { origin: 'https://evil.example' } });
      const error = await new Promise<Error>((resolve) => refused.once('connect_error', resolve));
      assert.ok(error);
      for (const origin of [new URL(PUBLIC_URL).origin, base]) {
        const allowed = connect({ extraHeaders: { origin } });
        await new Promise<void>((resolve, reject) => {
          allowed.once('connect', resolve);
          allowed.once('connect_error', reject);
        });
      }
      // The long-polling transport sends no CORS header either.
      const polling = await fetch(`${base}/socket.io/?EIO=4&transport=polling`, {
        headers: { origin: 'https://app.example.test' },
      });
      assert.equal(polling.status, 403);
      assert.equal(polling.headers.get('access-control-allow-origin'), null);
    });
  });
}

describe('socket.io is served only with the feathers dialect', () => {
  test('without it, /socket.io/ is the server’s 404', async () => {
    const [backend] = await backends();
    const server = await startTestServer(backend!, { overrides: { dialects: ['rpc', 'spa'] } });
    try {
      const base = await listen(server);
      const res = await fetch(`${base}/socket.io/?EIO=4&transport=polling`);
      assert.equal(res.status, 404);
      assert.equal(((await res.json()) as { statusCode: number }).statusCode, 404);
    } finally {
      await server.close();
    }
  });
});
