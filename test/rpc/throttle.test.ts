import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { backends } from '../helpers/backends.js';
import { rpc } from '../helpers/rpc.js';
import { seedUser, startTestServer, type TestServer } from '../helpers/server.js';

for (const backend of (await backends()).slice(0, 1)) {
  describe(`rpc sign-in throttling (${backend.name})`, () => {
    let server: TestServer;
    before(async () => {
      server = await startTestServer(backend);
    });
    after(async () => server.close());

    test('after 5 failures on one account, further attempts get a real 429 with Retry-After, even with the right password', async () => {
      const user = await seedUser(server);
      for (let i = 0; i < 6; i++) {
        const res = await rpc(server, 'session.issueToken', {
          user: user.username,
          password: `wrong-${i}-password`,
        });
        assert.equal(res.body.error?.code, 10002);
      }
      const blocked = await rpc(server, 'session.issueToken', {
        user: user.username,
        password: user.password,
      });
      assert.equal(blocked.status, 429);
      assert.equal(blocked.headers['retry-after'], '1');
      assert.deepEqual(blocked.body, {
        ok: false,
        error: { code: 429, message: 'Too many attempts; try again later' },
      });
      server.clock.advance(1000);
      const ok = await rpc(server, 'session.issueToken', { user: user.username, password: user.password });
      assert.equal(ok.body.ok, true, 'no permanent lockout: the owner gets in after the delay');
    });

    test('an unknown account is throttled exactly like a real one', async () => {
      const user = await seedUser(server);
      const statuses = async (login: string) => {
        const out: number[] = [];
        for (let i = 0; i < 8; i++)
          out.push(
            (await rpc(server, 'session.issueToken', { user: login, password: `wrong-${i}-password` }))
              .status,
          );
        return out;
      };
      assert.deepEqual(await statuses('never-existed-user'), await statuses(user.username!));
    });

    test("failures by username and by email address count against one budget: the account's", async () => {
      const user = await seedUser(server);
      const attempt = (login: string, i: number) =>
        rpc(server, 'session.issueToken', { user: login, password: `wrong-${i}-password` });
      for (let i = 0; i < 3; i++) assert.equal((await attempt(user.username!, i)).body.error?.code, 10002);
      for (let i = 3; i < 6; i++)
        assert.equal((await attempt(user.emails[0]!.address, i)).body.error?.code, 10002);
      // Six failures in all, three per login: the next is refused whichever login is typed.
      assert.equal((await attempt(user.username!, 6)).status, 429);
      server.clock.advance(60_000);
      assert.equal((await attempt(user.emails[0]!.address, 7)).body.error?.code, 10002);
      assert.equal((await attempt(user.username!, 8)).status, 429);
    });

    test('re-authentication guesses with a session add to the same account budget', async () => {
      const user = await seedUser(server);
      const token = (
        await rpc(server, 'session.issueToken', { user: user.username, password: user.password })
      ).body['token'] as string;
      for (let i = 0; i < 6; i++) {
        const res = await rpc(
          server,
          'user.update',
          {
            id: user.id,
            password: 'a-new-long-password-9',
            secondaryAuthFactor: { type: 'PASSWORD', token: `guess-${i}-password` },
          },
          { authorization: `Bearer ${token}` },
        );
        assert.equal(res.body.error?.code, 10035);
      }
      const signIn = await rpc(server, 'session.issueToken', {
        user: user.username,
        password: `wrong-x-password`,
      });
      assert.equal(signIn.status, 429);
    });

    test('spreading attempts over X-Forwarded-For values does not reset the account counter (no trusted proxy)', async () => {
      const user = await seedUser(server);
      for (let i = 0; i < 6; i++) {
        await rpc(
          server,
          'session.issueToken',
          { user: user.username, password: `wrong-${i}-password` },
          { 'x-forwarded-for': `10.0.0.${i}` },
        );
      }
      const res = await rpc(
        server,
        'session.issueToken',
        { user: user.username, password: user.password },
        { 'x-forwarded-for': '10.9.9.9' },
      );
      assert.equal(res.status, 429);
    });
  });
}
