import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { OWASP_ARGON2 } from '../../src/identity/passwords.js';
import { backends } from '../helpers/backends.js';
import { rpc } from '../helpers/rpc.js';
import { seedUser, startTestServer, type TestServer, UNLIMITED } from '../helpers/server.js';
import { assertAlikeTiming } from './timing.js';

/** Headers that legitimately differ per response. */
const VOLATILE = new Set(['date', 'x-request-id', 'content-length']);

for (const backend of (await backends()).slice(0, 1)) {
  describe(`rpc sign-in does not reveal whether an account exists (${backend.name})`, () => {
    let server: TestServer;
    let known: Awaited<ReturnType<typeof seedUser>>;
    let deactivated: Awaited<ReturnType<typeof seedUser>>;
    before(async () => {
      // Real argon2id parameters: a missing dummy verification would show as ~20 ms.
      // Throttling is off here: hundreds of failures from one address would (rightly) be refused.
      server = await startTestServer(backend, { argon2: OWASP_ARGON2, limiter: UNLIMITED });
      known = await seedUser(server);
      deactivated = await seedUser(server);
      await server.services.users.deactivate(server.services.defaultApp.id, deactivated.id, {
        context: undefined,
      });
    });
    after(async () => server.close());

    const attempts = () => ({
      unknown: { user: 'no-such-user', password: 'some password 1' },
      unknownEmail: { user: 'no-such-user@example.com', password: 'some password 1' },
      wrongPassword: { user: known.username, password: 'some password 1' },
      wrongPasswordByEmail: { user: known.emails[0]!.address, password: 'some password 1' },
      deactivated: { user: deactivated.username, password: deactivated.password },
    });

    for (const method of ['session.issueToken', 'session.setCookie']) {
      test(`${method}: same status, body, headers and cookies for every failure`, async () => {
        const responses = await Promise.all(
          Object.values(attempts()).map((body) => rpc(server, method, body)),
        );
        const first = responses[0]!;
        for (const res of responses) {
          assert.equal(res.status, first.status);
          assert.deepEqual(res.body, {
            ok: false,
            error: { code: 10002, message: 'Invalid user or password' },
          });
          const headers = Object.keys(res.headers)
            .filter((h) => !VOLATILE.has(h))
            .sort();
          assert.deepEqual(
            headers,
            Object.keys(first.headers)
              .filter((h) => !VOLATILE.has(h))
              .sort(),
          );
          assert.equal(res.headers['set-cookie'], undefined);
          assert.equal(res.raw.body.length, first.raw.body.length);
        }
      });
    }

    test('timing: medians of unknown user, wrong password and deactivated user within 5 ms or 10 %', async () => {
      const bodies = attempts();
      const baseline = await assertAlikeTiming(
        ['unknown', 'wrongPassword', 'deactivated'],
        150,
        async (name) => {
          const started = performance.now();
          await rpc(server, 'session.issueToken', bodies[name as keyof typeof bodies]);
          return performance.now() - started;
        },
      );
      assert.ok(baseline > 5, `argon2id at production parameters should take milliseconds: ${baseline} ms`);
    });
  });
}
