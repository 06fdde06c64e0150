import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { backends } from '../helpers/backends.js';
import { rpc } from '../helpers/rpc.js';
import type { TestServer } from '../helpers/server.js';
import { type Actor, actor, createOrg, type Mailbox, startIdentityServer } from './identity-support.js';
import { assertOk, uniqueTag } from './support.js';

/**
 * A stranger's account holds someone's address unverified (typed in at sign-up or as a
 * secondary address). The address's owner proves it by mail and takes it back.
 */
for (const backend of await backends()) {
  describe(`an unverified claim yields to proof by mail (${backend.name})`, () => {
    let server: TestServer;
    let mail: Mailbox;
    let admin: Actor;
    before(async () => {
      ({ server, mail } = await startIdentityServer(backend));
      admin = await actor(server, { superuser: true });
    });
    after(async () => server.close());

    const appId = () => server.services.defaultApp.id;

    /** A stranger's account that holds `address` unverified, as a secondary address. */
    async function strangerClaiming(address: string) {
      const stranger = await actor(server);
      await server.services.repos.users.update(
        appId(),
        stranger.id,
        {
          emails: [
            { address: stranger.email, isPrimary: true, isVerified: true },
            { address, isPrimary: false, isVerified: false },
          ],
        },
        server.clock.now(),
      );
      return stranger;
    }

    async function assertReleased(strangerId: string, address: string) {
      const stranger = (await server.services.users.get(appId(), strangerId))!;
      assert.deepEqual(
        stranger.emails.map((e) => e.address),
        [stranger.emails[0]!.address],
        'the stranger lost the address',
      );
      assert.notEqual(stranger.emails[0]?.address, address);
      await server.services.audit.settled();
      const events = await server.services.audit.list({
        userId: strangerId,
        type: 'email.released',
        limit: 10,
      });
      assert.equal(events.length, 1, 'an audit event on the account that lost it');
    }

    test('the owner asks for a verification link for the address and, using it, takes it', async () => {
      const address = `${uniqueTag()}@${uniqueTag()}.test`;
      const stranger = await strangerClaiming(address);
      const owner = await actor(server);
      // Today: taken, so the owner can neither add nor verify it.
      assertOk(await rpc(server, 'user.verifyEmail', { id: owner.id, emailAddress: address }, owner.auth));
      const { token } = await mail.last(address);
      const verified = assertOk(await rpc(server, 'email.verify', { token }));
      const emails = (verified['user'] as { emails: Array<{ address: string; isVerified: boolean }> }).emails;
      assert.ok(emails.some((e) => e.address === address && e.isVerified));
      await assertReleased(stranger.id, address);
      // The address now signs the owner in.
      assertOk(await rpc(server, 'session.issueToken', { user: address, password: owner.password }));
    });

    test('a verified holder keeps the address: no link for anyone else', async () => {
      const holder = await actor(server);
      const other = await actor(server);
      const res = await rpc(
        server,
        'user.verifyEmail',
        { id: other.id, emailAddress: holder.email },
        other.auth,
      );
      assert.equal(res.body.ok, false, JSON.stringify(res.body));
    });

    test('an invitation to an address a stranger holds unverified may be accepted with a new account, which takes it', async () => {
      const address = `${uniqueTag()}@${uniqueTag()}.test`;
      const stranger = await strangerClaiming(address);
      const org = await createOrg(server, admin);
      assertOk(await rpc(server, 'invitation.create', { user: address, org: org.id }, admin.auth));
      const { token } = await mail.last(address);
      // The mailed link's page offers the new-account form too (before: "sign in as that account").
      const page = await server.inject({ method: 'GET', url: `/accept-invitation?token=${token}` });
      assert.equal(page.statusCode, 200);
      assert.match(page.body, /name="password"/);
      const username = uniqueTag();
      const res = assertOk(
        await rpc(server, 'invitation.accept', { token, username, password: 'the invited owner pw 7' }),
      );
      const user = res['user'] as { id: string; emails: Array<{ address: string; isVerified: boolean }> };
      assert.deepEqual(
        user.emails.map((e) => [e.address, e.isVerified]),
        [[address, true]],
      );
      assert.notEqual(user.id, stranger.id);
      await assertReleased(stranger.id, address);
    });
  });
}
