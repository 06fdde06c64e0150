import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { backends } from '../helpers/backends.js';
import { runCli } from '../helpers/process.js';
import { bearer, signIn } from '../helpers/rpc.js';
import { seedUser, startTestServer, TEST_SECRET, type TestServer } from '../helpers/server.js';
import { fromManyClients } from '../rpc/support.js';
import { jwt, MINUTE, SECOND, spa } from './support.js';

for (const backend of await backends()) {
  describe(`admin API: survey aliases and login links (${backend.name})`, () => {
    let server: TestServer;
    let admin: Record<string, string>;
    let plain: Record<string, string>;
    let root: Awaited<ReturnType<typeof seedUser>>;
    before(async () => {
      server = fromManyClients(await startTestServer(backend));
      root = await seedUser(server, { superuser: true });
      admin = bearer(await signIn(server, root.username!, root.password));
      const user = await seedUser(server);
      plain = bearer(await signIn(server, user.username!, user.password));
    });
    after(async () => server.close());

    const call = (
      method: 'GET' | 'POST' | 'DELETE',
      url: string,
      headers: Record<string, string>,
      payload?: unknown,
    ) =>
      server.inject({
        method,
        url,
        headers: payload === undefined ? headers : { ...headers, 'content-type': 'application/json' },
        ...(payload === undefined ? {} : { payload: JSON.stringify(payload) }),
      });

    test('every route refuses no token (401) and a token without latchkey.admin (403)', async () => {
      const id = '0'.repeat(24);
      const routes: Array<['GET' | 'POST' | 'DELETE', string]> = [
        ['GET', '/admin/aliases'],
        ['POST', '/admin/aliases'],
        ['GET', `/admin/aliases/${id}`],
        ['DELETE', `/admin/aliases/${id}`],
        ['GET', '/admin/login-links'],
        ['POST', '/admin/login-links'],
        ['POST', `/admin/login-links/${id}/revoke`],
      ];
      for (const [method, url] of routes) {
        assert.equal((await call(method, url, {})).statusCode, 401, `${method} ${url}`);
        assert.equal((await call(method, url, plain)).statusCode, 403, `${method} ${url}`);
      }
    });

    test('aliases: create, list (filtered, paged), get, remove; conflicts and bad input refused', async () => {
      const user = await seedUser(server);
      const other = await seedUser(server);
      const created = await call('POST', '/admin/aliases', admin, {
        userId: user.id,
        surveyId: 'admin-demo',
        userName: 'Resp 1',
      });
      assert.equal(created.statusCode, 201, created.body);
      const alias = (created.json() as { alias: Record<string, unknown> }).alias;
      assert.deepEqual(
        { ...alias, id: undefined, createdAt: undefined },
        {
          id: undefined,
          app: 'latchkey/default',
          userId: user.id,
          surveyId: 'admin-demo',
          userName: 'Resp 1',
          createdAt: undefined,
        },
      );
      // Signs in through the spa dialect right away.
      const signedIn = await spa(server, '/login/alias', {
        userName: 'resp 1',
        password: user.password,
        surveyId: 'admin-demo',
      });
      assert.equal(signedIn.status, 200);
      const taken = await call('POST', '/admin/aliases', admin, {
        userId: other.id,
        surveyId: 'admin-demo',
        userName: 'RESP 1',
      });
      assert.equal(taken.statusCode, 409);
      const second = await call('POST', '/admin/aliases', admin, {
        userId: user.id,
        surveyId: 'admin-demo',
        userName: 'x',
      });
      assert.equal(second.statusCode, 409, 'one name per user and survey');
      for (const body of [
        { userId: user.id, surveyId: 'bad survey', userName: 'x' },
        { userId: user.id, surveyId: 'admin-demo', userName: ' padded ' },
        { userId: user.id, surveyId: 'admin-demo', userName: '' },
        { userId: 'nope', surveyId: 'admin-demo', userName: 'x' },
      ]) {
        assert.equal(
          (await call('POST', '/admin/aliases', admin, body)).statusCode,
          400,
          JSON.stringify(body),
        );
      }
      assert.equal(
        (
          await call('POST', '/admin/aliases', admin, {
            userId: '0'.repeat(24),
            surveyId: 'admin-demo',
            userName: 'x',
          })
        ).statusCode,
        404,
      );
      await call('POST', '/admin/aliases', admin, {
        userId: other.id,
        surveyId: 'admin-demo',
        userName: 'Resp 2',
      });
      const listed = await call('GET', '/admin/aliases?survey=admin-demo&limit=1', admin);
      assert.equal(listed.statusCode, 200);
      const page1 = listed.json() as { aliases: Array<{ id: string }>; next?: string };
      assert.equal(page1.aliases.length, 1);
      assert.ok(page1.next);
      const page2 = (
        await call('GET', `/admin/aliases?survey=admin-demo&after=${page1.next}`, admin)
      ).json() as {
        aliases: Array<{ id: string }>;
        next?: string;
      };
      assert.equal(page2.aliases.length, 1);
      assert.equal(page2.next, undefined);
      const mine = (await call('GET', `/admin/aliases?user=${user.id}`, admin)).json() as {
        aliases: unknown[];
      };
      assert.equal(mine.aliases.length, 1);
      assert.equal((await call('GET', `/admin/aliases/${alias['id']}`, admin)).statusCode, 200);
      assert.equal((await call('DELETE', `/admin/aliases/${alias['id']}`, admin)).statusCode, 204);
      assert.equal((await call('DELETE', `/admin/aliases/${alias['id']}`, admin)).statusCode, 404);
      assert.equal((await call('GET', `/admin/aliases/${alias['id']}`, admin)).statusCode, 404);
      const gone = await spa(server, '/login/alias', {
        userName: 'resp 1',
        password: user.password,
        surveyId: 'admin-demo',
      });
      assert.equal(gone.status, 401, 'a removed alias signs in no more');
    });

    test('login links: the secret is answered once at creation, never listed; revocation and expiry show', async () => {
      const user = await seedUser(server);
      const created = await call('POST', '/admin/login-links', admin, {
        userId: user.id,
        surveyId: 'links',
        expiresInSeconds: 3600,
      });
      assert.equal(created.statusCode, 201, created.body);
      const { loginLink, token } = created.json() as { loginLink: Record<string, unknown>; token: string };
      assert.match(token, /^[A-Za-z0-9_-]{43}$/);
      assert.equal(loginLink['status'], 'active');
      assert.equal(loginLink['surveyId'], 'links');
      assert.equal(Date.parse(loginLink['expiresAt'] as string), server.clock.now() + 3600 * SECOND);
      const used = await spa(server, '/login/token', { token });
      assert.equal(used.status, 200);
      assert.equal(jwt(used.body['accessToken'] as string).payload['survey'], 'links');
      const listed = await call('GET', `/admin/login-links?user=${user.id}`, admin);
      assert.equal(listed.statusCode, 200);
      assert.ok(!listed.body.includes(token), 'the secret is never listed');
      const [row] = (listed.json() as { loginLinks: Array<Record<string, unknown>> }).loginLinks;
      assert.equal(row?.['lastUsedAt'], new Date(server.clock.now()).toISOString());
      const forever = (await call('POST', '/admin/login-links', admin, { userId: user.id })).json() as {
        loginLink: Record<string, unknown>;
        token: string;
      };
      assert.equal(forever.loginLink['expiresAt'], null);
      assert.equal(forever.loginLink['surveyId'], null);
      const revoked = await call('POST', `/admin/login-links/${forever.loginLink['id']}/revoke`, admin);
      assert.equal(revoked.statusCode, 200);
      assert.equal((revoked.json() as { loginLink: { status: string } }).loginLink.status, 'revoked');
      assert.equal((await spa(server, '/login/token', { token: forever.token })).status, 401);
      assert.equal(
        (await call('POST', `/admin/login-links/${forever.loginLink['id']}/revoke`, admin)).statusCode,
        200,
      );
      assert.equal(
        (await call('POST', `/admin/login-links/${'0'.repeat(24)}/revoke`, admin)).statusCode,
        404,
      );
      server.clock.advance(61 * MINUTE);
      // The admin's own token expired meanwhile.
      admin = bearer(await signIn(server, root.username!, root.password));
      const expired = (
        await call('GET', `/admin/login-links?user=${user.id}&survey=links`, admin)
      ).json() as {
        loginLinks: Array<{ status: string }>;
      };
      assert.deepEqual(
        expired.loginLinks.map((l) => l.status),
        ['expired'],
      );
      for (const body of [
        { userId: user.id, expiresInSeconds: 0 },
        { userId: user.id, surveyId: '' },
        { userId: user.id, token: 'chosen-by-me' },
      ]) {
        assert.equal(
          (await call('POST', '/admin/login-links', admin, body)).statusCode,
          400,
          JSON.stringify(body),
        );
      }
      assert.equal(
        (await call('POST', '/admin/login-links', admin, { userId: '0'.repeat(24) })).statusCode,
        404,
      );
      assert.ok(!server.logs.join('\n').includes(token), 'the secret is never logged');
    });
  });
}

describe('the latchkey CLI: alias and login-link', () => {
  const dir = mkdtempSync(join(tmpdir(), 'latchkey-cli-spa-'));
  const env = {
    DATABASE_URL: `sqlite:${join(dir, 'db.sqlite')}`,
    LATCHKEY_DATA_DIR: dir,
    LATCHKEY_SECRET: TEST_SECRET,
  };

  test('alias create, list and remove', () => {
    assert.equal(
      runCli(
        [
          'user',
          'create',
          '--username',
          'roadrunner',
          '--email',
          'rr@acme.com',
          '--password',
          'meep-meep-1234',
        ],
        { env },
      ).code,
      0,
    );
    const created = runCli(
      ['alias', 'create', '--user', 'rr@acme.com', '--survey', 'demo', '--name', 'RR-1'],
      { env },
    );
    assert.equal(created.code, 0, created.stderr);
    const id = /^created alias ([0-9a-f]{24}): 'RR-1' in survey demo$/m.exec(created.stdout)?.[1];
    assert.ok(id, created.stdout);
    const taken = runCli(['alias', 'create', '--user', 'roadrunner', '--survey', 'demo', '--name', 'rr-1'], {
      env,
    });
    assert.equal(taken.code, 1);
    assert.match(taken.stderr, /already has/);
    const listed = runCli(['alias', 'list', '--survey', 'demo'], { env });
    assert.equal(listed.code, 0, listed.stderr);
    assert.match(listed.stdout, new RegExp(`${id}\\s+demo\\s+RR-1`));
    assert.equal(runCli(['alias', 'remove', id], { env }).code, 0);
    assert.match(runCli(['alias', 'list'], { env }).stdout, /\(none\)/);
    const missing = runCli(['alias', 'remove', id], { env });
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /does not exist/);
  });

  test('login-link create (secret printed once), list (never the secret) and revoke', () => {
    const created = runCli(
      ['login-link', 'create', '--user', 'roadrunner', '--survey', 'demo', '--expires-in', '3600'],
      {
        env,
      },
    );
    assert.equal(created.code, 0, created.stderr);
    const id = /^created login link ([0-9a-f]{24}) for survey demo, expires \S+Z$/m.exec(created.stdout)?.[1];
    const token = /^token \(shown once, not stored\): ([A-Za-z0-9_-]{43})$/m.exec(created.stdout)?.[1];
    assert.ok(id && token, created.stdout);
    const listed = runCli(['login-link', 'list', '--user', 'roadrunner'], { env });
    assert.equal(listed.code, 0, listed.stderr);
    assert.match(listed.stdout, new RegExp(`${id}\\s+[0-9a-f]{24}\\s+demo\\s+active`));
    assert.ok(!listed.stdout.includes(token), 'the secret is never listed');
    assert.equal(runCli(['login-link', 'revoke', id], { env }).code, 0);
    assert.match(runCli(['login-link', 'list'], { env }).stdout, new RegExp(`${id}.*revoked`));
    const bad = runCli(['login-link', 'create', '--user', 'roadrunner', '--expires-in', 'soon'], { env });
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /--expires-in must be a positive integer/);
  });
});
