import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { OWASP_ARGON2 } from '../../src/identity/passwords.js';
import {
  type Answer,
  type FeathersTestServer,
  feathersUser,
  INVALID_LOGIN,
  outboxCount,
  post,
  startFeathersServer,
} from '../feathers/support.js';
import { backends } from '../helpers/backends.js';
import { UNLIMITED } from '../helpers/server.js';
import { assertAlikeTiming } from './timing.js';

/** Headers that legitimately differ per response. */
const VOLATILE = new Set(['date', 'x-request-id', 'content-length']);
const headerNames = (res: Answer) =>
  Object.keys(res.headers)
    .filter((h) => !VOLATILE.has(h))
    .sort();

function assertAlike(responses: Answer[], expectedBody: unknown): void {
  const first = responses[0]!;
  for (const res of responses) {
    assert.equal(res.status, first.status);
    assert.deepEqual(res.body, expectedBody);
    assert.deepEqual(headerNames(res), headerNames(first));
    assert.equal(res.headers['set-cookie'], undefined);
    assert.equal(res.raw.body.length, first.raw.body.length);
  }
}

for (const backend of (await backends()).slice(0, 1)) {
  describe(`the feathers dialect does not reveal whether an account exists (${backend.name})`, () => {
    let server: FeathersTestServer;
    let known: Awaited<ReturnType<typeof feathersUser>>;
    let deactivated: Awaited<ReturnType<typeof feathersUser>>;
    let pendingEmail: string;
    before(async () => {
      // Real argon2id parameters: a missing dummy verification would show as ~20 ms.
      // Throttling is off here: hundreds of failures from one address would (rightly) be refused.
      server = await startFeathersServer(backend, { argon2: OWASP_ARGON2, limiter: UNLIMITED });
      known = await feathersUser(server, 'known.user@enum.example');
      deactivated = await feathersUser(server, 'deact.user@enum.example');
      await server.services.users.deactivate(deactivated.appId, deactivated.id, { context: undefined });
      pendingEmail = 'pend1.user@enum.example';
      await post(server, '/signup', { email: pendingEmail, password: 'pending password 1' });
      await server.services.registration.idle();
    });
    after(async () => server.close());

    const loginAttempts = () => ({
      unknown: { email: 'nouser.zz@enum.example', password: 'some password 1' },
      wrongPassword: { email: known.email, password: 'some password 1' },
      deactivated: { email: deactivated.email, password: deactivated.password },
      pendingWrongPassword: { email: pendingEmail, password: 'some password 1' },
    });

    for (const path of ['/auth/login', '/auth/local']) {
      test(`${path}: same status, body, headers and length for every credential failure`, async () => {
        const responses = await Promise.all(
          Object.values(loginAttempts()).map((body) => post(server, path, body)),
        );
        assertAlike(responses, INVALID_LOGIN);
      });
    }

    test('/authentication (local): same answer for every credential failure', async () => {
      const responses = await Promise.all(
        Object.values(loginAttempts()).map((body) =>
          post(server, '/authentication', { strategy: 'local', ...body }),
        ),
      );
      assertAlike(responses, INVALID_LOGIN);
    });

    test('/signup: the same answer for a new address, an activated account, a pending one and a deactivated one', async () => {
      // Same-length addresses, so even the body length must match.
      const fresh = 'fresh.user@enum.example';
      const cases = [fresh, known.email, pendingEmail, deactivated.email];
      assert.equal(new Set(cases.map((e) => e.length)).size, 1);
      const before = await Promise.all(cases.map((e) => outboxCount(server, e)));
      const responses: Answer[] = [];
      for (const email of cases)
        responses.push(await post(server, '/signup', { email, password: 'another password 2' }));
      for (const [i, res] of responses.entries()) {
        assert.equal(res.status, 201);
        assert.deepEqual(res.body, { activationEmailSent: true, data: { email: cases[i] } });
        assert.deepEqual(headerNames(res), headerNames(responses[0]!));
        assert.equal(res.raw.body.length, responses[0]!.raw.body.length);
      }
      await server.services.registration.idle();
      const sent = (await Promise.all(cases.map((e) => outboxCount(server, e)))).map(
        (n, i) => n - before[i]!,
      );
      // Only the mailbox owner learns anything: a new address and a pending account get a link, nobody else a mail.
      assert.deepEqual(sent, [1, 0, 1, 0]);
    });

    test('timing: sign-in medians of unknown user, wrong password and deactivated user within 5 ms or 10 %', async () => {
      const bodies = loginAttempts();
      const baseline = await assertAlikeTiming(
        ['unknown', 'wrongPassword', 'deactivated'],
        100,
        async (name) => {
          const started = performance.now();
          await post(server, '/auth/login', bodies[name as keyof typeof bodies]);
          return performance.now() - started;
        },
      );
      assert.ok(baseline > 5, `argon2id should take milliseconds: ${baseline} ms`);
    });

    test('timing: sign-up medians for a new address and an existing account within 5 ms or 10 %', async () => {
      let mails = server.smtp.received.length;
      let fresh = 0;
      await assertAlikeTiming(['fresh', 'existing', 'pending'], 60, async (name) => {
        const email =
          name === 'fresh'
            ? `fresh${++fresh}.x@enum.example`
            : name === 'existing'
              ? known.email
              : pendingEmail;
        const started = performance.now();
        const res = await post(server, '/signup', { email, password: 'another password 3' });
        const elapsed = performance.now() - started;
        assert.equal(res.status, 201);
        // The background part of a sign-up (and the mail it sends to the test's own SMTP server,
        // in this process) runs after its answer: let it end before the next measurement.
        await server.services.registration.idle();
        if (name !== 'existing') await server.smtp.waitFor(++mails);
        return elapsed;
      });
    });
  });
}
