import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { OWASP_ARGON2 } from '../../src/identity/passwords.js';
import { backends } from '../helpers/backends.js';
import { seedUser, startTestServer, type TestServer, UNLIMITED } from '../helpers/server.js';
import { enrollTotp, type SpaResponse, spa } from '../spa/support.js';
import { assertAlikeTiming } from './timing.js';

/** Headers that legitimately differ per response. */
const VOLATILE = new Set(['date', 'x-request-id', 'content-length']);
const headerNames = (res: SpaResponse) =>
  Object.keys(res.headers)
    .filter((h) => !VOLATILE.has(h))
    .sort();

function assertAlike(responses: SpaResponse[]): void {
  const first = responses[0]!;
  for (const res of responses) {
    assert.equal(res.status, 401);
    assert.deepEqual(res.body, { message: 'Provided credentials do not match our records.' });
    assert.deepEqual(headerNames(res), headerNames(first));
    assert.equal(res.headers['set-cookie'], undefined);
    assert.equal(res.raw.body, first.raw.body);
  }
}

for (const backend of (await backends()).slice(0, 1)) {
  describe(`spa sign-in does not reveal whether an account, alias or link exists (${backend.name})`, () => {
    let server: TestServer;
    let known: Awaited<ReturnType<typeof seedUser>>;
    let deactivated: Awaited<ReturnType<typeof seedUser>>;
    let withMfa: Awaited<ReturnType<typeof seedUser>>;
    before(async () => {
      // Real argon2id parameters: a missing dummy verification would show as ~20 ms.
      // Throttling is off here: hundreds of failures from one address would (rightly) be refused.
      server = await startTestServer(backend, { argon2: OWASP_ARGON2, limiter: UNLIMITED });
      const appId = server.services.defaultApp.id;
      known = await seedUser(server);
      deactivated = await seedUser(server);
      withMfa = await seedUser(server);
      await enrollTotp(server, withMfa);
      await server.services.users.deactivate(appId, deactivated.id, { context: undefined });
      await server.services.spa.aliases.create(appId, {
        userId: known.id,
        surveyId: 'enum',
        userName: 'known',
      });
      await server.services.spa.aliases.create(appId, {
        userId: deactivated.id,
        surveyId: 'enum',
        userName: 'gone',
      });
    });
    after(async () => server.close());

    const logins = () => ({
      unknown: { email: 'no-such-user@example.com', password: 'some password 1' },
      wrongPassword: { email: known.emails[0]!.address, password: 'some password 1' },
      deactivated: { email: deactivated.emails[0]!.address, password: deactivated.password },
      mfaWrongPassword: { email: withMfa.emails[0]!.address, password: 'some password 1' },
    });
    const aliases = () => ({
      unknown: { userName: 'nobody', password: 'some password 1', surveyId: 'enum' },
      unknownSurvey: { userName: 'known', password: known.password, surveyId: 'no-such-survey' },
      wrongPassword: { userName: 'known', password: 'some password 1', surveyId: 'enum' },
      deactivated: { userName: 'gone', password: deactivated.password, surveyId: 'enum' },
    });

    test('/login: same status, body, headers and no cookie for every failure', async () => {
      const responses: SpaResponse[] = [];
      for (const body of Object.values(logins())) responses.push(await spa(server, '/login', body));
      assertAlike(responses);
    });

    test('/login/alias: unknown alias, another survey, wrong password and deactivated user answer alike', async () => {
      const responses: SpaResponse[] = [];
      for (const body of Object.values(aliases())) responses.push(await spa(server, '/login/alias', body));
      assertAlike(responses);
    });

    test('/login/token: unknown, revoked and deactivated-user links answer alike', async () => {
      const appId = server.services.defaultApp.id;
      const revoked = await server.services.spa.loginLinks.create(appId, { userId: known.id });
      await server.services.spa.loginLinks.revoke(appId, revoked.link.id);
      const other = await seedUser(server);
      const ofDeactivated = await server.services.spa.loginLinks.create(appId, { userId: other.id });
      await server.services.users.deactivate(appId, other.id, { context: undefined });
      const responses: SpaResponse[] = [];
      for (const token of ['A'.repeat(43), revoked.token, ofDeactivated.token]) {
        responses.push(await spa(server, '/login/token', { token }));
      }
      assertAlike(responses);
    });

    const timing = async (path: string, bodies: Record<string, unknown>) => {
      const baseline = await assertAlikeTiming(
        Object.keys(bodies),
        200,
        async (name) => {
          const started = performance.now();
          await spa(server, path, bodies[name]);
          return performance.now() - started;
        },
        `${path}: `,
      );
      assert.ok(
        baseline > 5,
        `argon2id at production parameters takes milliseconds: ${baseline.toFixed(2)} ms`,
      );
    };

    test('timing: /login unknown user, wrong password and deactivated user within 5 ms or 10 % (paired medians)', async () => {
      const { unknown, wrongPassword, deactivated: gone } = logins();
      await timing('/login', { unknown, wrongPassword, deactivated: gone });
    });

    test('timing: /login/alias unknown alias and wrong password within 5 ms or 10 % (paired medians)', async () => {
      const { unknown, wrongPassword } = aliases();
      await timing('/login/alias', { unknown, wrongPassword });
    });
  });
}

for (const backend of (await backends()).slice(0, 1)) {
  describe(`spa sign-in throttle does not tell a pending account from a taken address (${backend.name})`, () => {
    let server: TestServer;
    before(async () => {
      server = await startTestServer(backend);
    });
    after(async () => server.close());

    /**
     * Five wrong passwords, then the password the prober chose at sign-up, then a wrong one:
     * the last answer is the same whether the sign-up created a pending account (the chosen
     * password is right, but the account is not activated) or the address was taken (it is wrong).
     */
    async function probe(email: string, chosen: string): Promise<number[]> {
      const statuses: number[] = [];
      for (let i = 0; i < 5; i++)
        statuses.push((await spa(server, '/login', { email, password: `wrong-${i}-pw` })).status);
      statuses.push((await spa(server, '/login', { email, password: chosen })).status);
      statuses.push((await spa(server, '/login', { email, password: 'wrong-again-pw' })).status);
      return statuses;
    }

    test('the right password of an account waiting for activation does not clear the counter', async () => {
      const appId = server.services.defaultApp.id;
      const pending = await seedUser(server);
      await server.services.repos.users.update(appId, pending.id, { isActive: false }, server.clock.now());
      const taken = await seedUser(server);
      const expected = [401, 401, 401, 401, 401, 401, 429];
      assert.deepEqual(await probe(pending.emails[0]!.address, pending.password), expected);
      assert.deepEqual(await probe(taken.emails[0]!.address, 'the probers chosen password'), expected);
    });
  });
}
