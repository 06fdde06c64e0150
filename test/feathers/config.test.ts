import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { activationLink, allowedRedirect, feathersSettings } from '../../src/config/feathers.js';
import { ConfigError, loadConfig } from '../../src/config/load.js';
import { backends } from '../helpers/backends.js';
import { TEST_SECRET } from '../helpers/server.js';
import {
  activationPath,
  assertFeathersError,
  call,
  type FeathersTestServer,
  feathersUser,
  nthMail,
  post,
  startFeathersServer,
} from './support.js';

const load = (overrides: Record<string, unknown>, env: Record<string, string> = {}) =>
  loadConfig({
    env,
    configFile: undefined,
    overrides: { secret: TEST_SECRET, dataDir: '/tmp/lk-unused', ...overrides },
  });

describe('feathers settings', () => {
  test('defaults: mounted with rpc, at the root, one-day tokens, sign-up on, two-day links, no redirects', () => {
    const config = load({});
    assert.ok(config.dialects.includes('rpc') && config.dialects.includes('feathers'));
    const settings = feathersSettings(config);
    assert.equal(settings.prefix, '');
    assert.equal(settings.tokenTtlSeconds, 86_400);
    assert.equal(settings.signupEnabled, true);
    assert.equal(settings.activationTtlSeconds, 172_800);
    assert.equal(settings.redirectOrigins.size, 0);
  });

  test('from the environment; bad values name the key', () => {
    const config = load(
      {},
      {
        LATCHKEY_FEATHERS_PREFIX: '/edumaps',
        LATCHKEY_FEATHERS_TOKEN_TTL_SECONDS: '3600',
        LATCHKEY_FEATHERS_REDIRECT_ORIGINS: 'https://a.example, http://localhost:3000',
      },
    );
    const settings = feathersSettings(config);
    assert.equal(settings.prefix, '/edumaps');
    assert.equal(settings.tokenTtlSeconds, 3600);
    assert.deepEqual([...settings.redirectOrigins], ['https://a.example', 'http://localhost:3000']);
    for (const prefix of ['edumaps', '/edumaps/', '/a b', '/a?b']) {
      assert.throws(
        () => feathersSettings(load({ 'feathers.prefix': prefix })),
        (err: unknown) => {
          assert.ok(err instanceof ConfigError);
          assert.match(err.message, /feathers\.prefix/);
          return true;
        },
      );
    }
    for (const origins of [
      'not a url',
      'https://a.example/path',
      'ftp://a.example',
      'https://u:p@a.example',
    ]) {
      assert.throws(
        () => feathersSettings(load({ 'feathers.redirectOrigins': origins })),
        /feathers\.redirectOrigins/,
      );
    }
    assert.throws(() => load({ 'feathers.tokenTtlSeconds': 10 }), /feathers\.tokenTtlSeconds/);
  });

  test('allowedRedirect accepts only absolute http(s) URLs on an allowed origin', () => {
    const settings = feathersSettings(load({ 'feathers.redirectOrigins': 'https://app.example' }));
    assert.equal(allowedRedirect(settings, 'https://app.example/x?y=1#z'), 'https://app.example/x?y=1#z');
    assert.equal(allowedRedirect(settings, 'https://APP.example/'), 'https://app.example/');
    for (const bad of [
      'https://app.example.evil/',
      'https://app.example:444/',
      'http://app.example/',
      '//app.example/',
      '/x',
      'javascript:alert(1)',
      'https://x@app.example/',
      `https://app.example/${'x'.repeat(3000)}`,
    ]) {
      assert.equal(allowedRedirect(settings, bad), null, bad);
    }
  });

  test('activation links are built from publicUrl, keeping its path', () => {
    const config = load({ publicUrl: 'https://id.example/auth/', 'feathers.prefix': '/v1' });
    const link = activationLink(config, feathersSettings(config), 'TOKEN', 'https://app.example/welcome');
    assert.equal(
      link,
      'https://id.example/auth/v1/activate?token=TOKEN&redirect=https%3A%2F%2Fapp.example%2Fwelcome',
    );
  });
});

for (const backend of (await backends()).slice(0, 1)) {
  describe(`the feathers dialect under a prefix (${backend.name})`, () => {
    let server: FeathersTestServer;
    before(async () => {
      server = await startFeathersServer(backend, { overrides: { 'feathers.prefix': '/edumaps' } });
    });
    after(async () => server.close());

    test('every route moves under the prefix, and so does the activation link', async () => {
      const user = await feathersUser(server);
      assert.equal(
        (await post(server, '/auth/login', { email: user.email, password: user.password })).status,
        404,
      );
      const res = await post(server, '/edumaps/auth/login', { email: user.email, password: user.password });
      assert.equal(res.status, 201);
      const token = res.body['token'] as string;
      assert.equal((await post(server, '/edumaps/auth/token', { token })).status, 201);
      const email = `prefixed.${Date.now()}@example.com`;
      assert.equal(
        (await post(server, '/edumaps/signup', { email, password: 'long enough pass' })).status,
        201,
      );
      const { link, path } = activationPath(await nthMail(server, 1));
      assert.equal(link.pathname, '/base/edumaps/activate');
      assert.equal((await call(server, 'GET', path)).status, 200);
    });

    test('any unknown path under the prefix is a Feathers NotFound', async () => {
      const res = await server.app.inject({ method: 'GET', url: '/edumaps/users/1' });
      assert.equal(res.statusCode, 404);
      assertFeathersError(
        { status: res.statusCode, body: res.json(), headers: res.headers, raw: res },
        404,
        'NotFound',
        'Page not found',
      );
    });
  });
}
