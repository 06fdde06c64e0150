import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { storageUnavailable } from '../../src/storage/sql/outages.js';
import { backends } from '../helpers/backends.js';
import { apps, createApp, readyLogin, signIn, startAppsServer } from './support.js';

const APP = 'fault/app';

/**
 * Dependency failures on every route: the database unreachable is a 503 with
 * Retry-After (clients back off and retry, nothing is granted), a bug a 500; both in
 * the error object, neither with internals in the message. Faults are injected into
 * the repository objects the core holds, one method at a time.
 */
for (const backend of (await backends()).slice(0, 1)) {
  describe(`apps dialect under storage faults (${backend.name})`, () => {
    let server: Awaited<ReturnType<typeof startAppsServer>>;
    let token: string;
    /** A token already rotated (within the grace window): its refresh reads before it answers. */
    let rotated: string;
    before(async () => {
      server = await startAppsServer(backend);
      const app = await createApp(server, APP);
      await readyLogin(server, app, 'fay', 'fay-password-1');
      rotated = await signIn(server, APP, 'fay', 'fay-password-1');
      const refreshed = await apps(server, APP, '/auth/refresh', { token: rotated });
      assert.equal(refreshed.status, 200);
      token = await signIn(server, APP, 'fay', 'fay-password-1');
    });
    after(async () => server.close());

    let mails = 0;
    // What a repository raises when its store cannot be reached (storage/sql/outages.ts).
    const unreachable = () =>
      storageUnavailable(
        Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' }),
      );
    const bug = () => new Error('TypeError: secret internals at repository.js:42');

    const cases = (): Array<{
      route: string;
      fault: [object, string];
      call: () => ReturnType<typeof apps>;
    }> => {
      const repos = server.services.repos as unknown as Record<string, object>;
      return [
        {
          route: '/auth/login',
          fault: [repos['users']!, 'findByUsernameKey'],
          call: () =>
            apps(server, APP, '/auth/login', { json: { login: 'fay', password: 'fay-password-1' } }),
        },
        {
          // A token this node issued is rotated without a read first.
          route: '/auth/refresh',
          fault: [repos['sessions']!, 'rotate'],
          call: () => apps(server, APP, '/auth/refresh', { token }),
        },
        {
          route: '/auth/refresh (a rotated token: read first)',
          fault: [repos['sessions']!, 'findCredentialWithSession'],
          call: () => apps(server, APP, '/auth/refresh', { token: rotated }),
        },
        {
          route: '/auth/logout',
          fault: [repos['sessions']!, 'findSession'],
          call: () => apps(server, APP, '/auth/logout', { token }),
        },
        {
          route: '/users/email-code',
          fault: [repos['appEmailCodes']!, 'create'],
          call: () => apps(server, APP, '/users/email-code', { json: { email: `x${++mails}@example.com` } }),
        },
        {
          route: '/users/change-password',
          fault: [repos['users']!, 'findByUsernameKey'],
          call: () => {
            // At most one change a minute per login.
            server.clock.advance(60_000);
            return apps(server, APP, '/users/change-password', {
              json: { login: 'fay', oldPassword: 'fay-password-1', newPassword: 'fay-password-2' },
            });
          },
        },
        {
          route: '/users/email-code/verify',
          fault: [repos['appEmailCodes']!, 'countAttempt'],
          call: () =>
            apps(server, APP, '/users/email-code/verify', {
              json: { verificationToken: 'x', code: '123456' },
            }),
        },
        {
          route: '/devices',
          fault: [repos['users']!, 'create'],
          call: () => apps(server, APP, '/devices'),
        },
      ];
    };

    async function withFault<T>(
      target: object,
      method: string,
      error: () => Error,
      run: () => Promise<T>,
    ): Promise<T> {
      const holder = target as Record<string, unknown>;
      const original = holder[method];
      holder[method] = async () => {
        throw error();
      };
      try {
        return await run();
      } finally {
        holder[method] = original;
      }
    }

    test('the database unreachable: 503 with Retry-After on every route', async () => {
      for (const { route, fault, call } of cases()) {
        const res = await withFault(fault[0], fault[1], unreachable, call);
        assert.equal(res.status, 503, `${route}: ${JSON.stringify(res.body)}`);
        assert.equal(res.headers['retry-after'], '5', route);
        assert.deepEqual(
          res.body,
          { status: 503, message: 'storage is unavailable; try again shortly' },
          route,
        );
      }
    });

    test('a bug: 500 on every route, without internals', async () => {
      for (const { route, fault, call } of cases()) {
        const res = await withFault(fault[0], fault[1], bug, call);
        assert.equal(res.status, 500, route);
        assert.deepEqual(res.body, { status: 500, message: 'internal server error' }, route);
      }
    });

    test('sign-up (POST …/users) when the database fails while creating the login', async () => {
      const requested = await apps(server, APP, '/users/email-code', { json: { email: 'late@example.com' } });
      const code = server.mails.findLast((m) => m.to === 'late@example.com')!.vars.code!;
      const verified = await apps(server, APP, '/users/email-code/verify', {
        json: { verificationToken: requested.body['verificationToken'], code },
      });
      const body = {
        json: {
          verifiedEmailToken: verified.body['verifiedEmailToken'],
          password: 'late-password-1',
          displayName: 'L',
        },
      };
      const users = (server.services.repos as unknown as Record<string, object>)['users']!;
      const down = await withFault(users, 'create', unreachable, () => apps(server, APP, '/users', body));
      assert.equal(down.status, 503);
      const broken = await withFault(users, 'create', bug, () => apps(server, APP, '/users', body));
      assert.equal(broken.status, 500);
      // Nothing was half-made: the same token still signs up once the database is back.
      assert.equal((await apps(server, APP, '/users', body)).status, 201);
    });

    test('the service answers normally once the fault is gone', async () => {
      assert.equal((await apps(server, APP, '/auth/refresh', { token })).status, 200);
    });
  });
}
