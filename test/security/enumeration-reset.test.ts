import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { backends } from '../helpers/backends.js';
import { rpc } from '../helpers/rpc.js';
import { seedUser, startTestServer, type TestServer, UNLIMITED } from '../helpers/server.js';
import { assertAlikeTiming } from './timing.js';

/** Headers that legitimately differ per response. */
const VOLATILE = new Set(['date', 'x-request-id']);

for (const backend of (await backends()).slice(0, 1)) {
  describe(`rpc password reset does not reveal whether an account exists (${backend.name})`, () => {
    let server: TestServer;
    let known: Awaited<ReturnType<typeof seedUser>>;
    let deactivated: Awaited<ReturnType<typeof seedUser>>;
    before(async () => {
      // Throttling is off: hundreds of requests for one account would (rightly) be refused.
      server = await startTestServer(backend, { limiter: UNLIMITED, overrides: { dialects: ['rpc'] } });
      known = await seedUser(server);
      deactivated = await seedUser(server);
      await server.services.users.deactivate(server.services.defaultApp.id, deactivated.id, {
        context: undefined,
      });
    });
    after(async () => server.close());

    const keys = () => ({
      unknown: 'nobody-at-all',
      unknownEmail: 'nobody@nowhere.example',
      known: known.username!,
      knownEmail: known.emails[0]!.address,
      deactivated: deactivated.username!,
    });

    test('the same status, headers and body for known, unknown and deactivated accounts', async () => {
      const answers = [];
      for (const userKey of Object.values(keys())) {
        const res = await rpc(server, 'user.forgotPassword', { userKey });
        const headers = Object.fromEntries(Object.entries(res.headers).filter(([k]) => !VOLATILE.has(k)));
        answers.push({ status: res.status, headers, body: res.raw.body });
      }
      for (const a of answers) assert.deepEqual(a, answers[0]);
      await server.services.identity.account.settled();
      await server.services.mail.flush();
      const to = server.mailbox.map((m) => m.to);
      assert.ok(to.includes(known.emails[0]!.address));
      assert.ok(!to.includes(deactivated.emails[0]!.address));
    });

    test('timing: medians for known, unknown and deactivated accounts within 5 ms or 10 %', async () => {
      const k = keys();
      await assertAlikeTiming(['unknown', 'known', 'deactivated'], 150, async (name) => {
        const started = performance.now();
        await rpc(server, 'user.forgotPassword', { userKey: k[name as keyof typeof k] });
        const elapsed = performance.now() - started;
        // Untimed: the reset mail's own work, and the outbox sending it, before the next sample.
        await server.services.identity.account.settled();
        await new Promise((resolve) => setImmediate(resolve));
        await server.services.mail.flush();
        return elapsed;
      });
    });
  });
}
