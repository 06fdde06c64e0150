import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, test } from 'node:test';
import { sha256Hex } from '../../src/shared/ids.js';
import { backends } from '../helpers/backends.js';
import { bearer, rpc, signIn } from '../helpers/rpc.js';
import type { TestServer } from '../helpers/server.js';
import {
  type Actor,
  actor,
  addMember,
  createOrg,
  grant,
  type Mailbox,
  NOBODY,
  permissionId,
  startIdentityServer,
} from './identity-support.js';
import { assertInvalidBody, assertOk, assertRpcError, DAY, SECOND, uniqueTag } from './support.js';

interface PresentedInvitation {
  id: string;
  org: { id: string };
  user: { id: string | null; emailAddress: string };
  permissions: Array<{ id: string; resourceId?: string }>;
  roles: Array<{ id: string; resourceId?: string }>;
  createdAt: string;
  expiresAt: string;
}

for (const backend of await backends()) {
  describe(`rpc invitation.* (${backend.name})`, () => {
    let server: TestServer;
    let mail: Mailbox;
    let admin: Actor;
    before(async () => {
      ({ server, mail } = await startIdentityServer(backend));
      admin = await actor(server, { superuser: true });
    });
    beforeEach(async () => {
      const token = await signIn(server, admin.username, admin.password);
      admin = { ...admin, token, auth: bearer(token) };
    });
    after(async () => server.close());

    const address = () => `${uniqueTag()}@${uniqueTag()}.test`;

    /** Invites, and returns the token of the mail (sent to `to`, or to `user` when it is an address). */
    async function invite(body: Record<string, unknown>, to = String(body['user'])): Promise<string> {
      assertOk(await rpc(server, 'invitation.create', body, admin.auth));
      return (await mail.last(to)).token!;
    }

    describe('invitation.create and invitation.accept for a new account', () => {
      test('the mailed link creates the account (address verified) and the membership with its grants', async () => {
        const org = await createOrg(server, admin);
        const read = await permissionId(server, 'yeep.user.read');
        const role = assertOk(
          await rpc(
            server,
            'role.create',
            { name: uniqueTag(), permissions: [await permissionId(server, 'yeep.org.read')] },
            admin.auth,
          ),
        )['role'] as { id: string };
        const email = address();
        const now = server.clock.now();
        assertOk(
          await rpc(
            server,
            'invitation.create',
            {
              user: email,
              org: org.id,
              permissions: [{ id: read, resourceId: 'r1' }],
              roles: [{ id: role.id }],
            },
            admin.auth,
          ),
        );
        const message = await mail.last(email);
        assert.equal(message.subject, 'You are invited to latchkey');
        assert.match(
          message.link ?? '',
          /^https:\/\/id\.example\.com\/auth\/accept-invitation\?token=[0-9a-f]{64}$/,
        );
        const stored = await server.services.store.db
          .selectFrom('one_time_tokens')
          .selectAll()
          .where('token_hash', '=', sha256Hex(message.token!))
          .executeTakeFirstOrThrow();
        assert.equal(stored.kind, 'invitation');
        assert.equal(stored.expires_at, now + 7 * DAY);

        const listed = assertOk(await rpc(server, 'invitation.list', { org: org.id }, admin.auth))[
          'invitations'
        ] as PresentedInvitation[];
        assert.deepEqual(listed, [
          {
            id: stored.id,
            org: { id: org.id },
            user: { id: null, emailAddress: email },
            permissions: [{ id: read, resourceId: 'r1' }],
            roles: [{ id: role.id }],
            createdAt: new Date(now).toISOString(),
            expiresAt: new Date(now + 7 * DAY).toISOString(),
          },
        ]);

        const username = uniqueTag();
        const res = await rpc(server, 'invitation.accept', {
          token: message.token,
          username,
          password: 'invited password',
          fullName: 'Invited Person',
        });
        const user = assertOk(res)['user'] as Record<string, unknown>;
        assert.equal(user['username'], username);
        assert.equal(user['fullName'], 'Invited Person');
        assert.deepEqual(user['emails'], [{ address: email, isVerified: true, isPrimary: true }]);
        assert.deepEqual(user['orgs'], [org.id]);
        const token = await signIn(server, username, 'invited password');
        const perms = assertOk(
          await rpc(server, 'user.info', { projection: { permissions: true, roles: true } }, bearer(token)),
        )['user'] as {
          permissions: Array<{ name: string; orgId: string; resourceId: string }>;
          roles: Array<{ id: string; orgId: string }>;
        };
        assert.deepEqual(perms.permissions.map((p) => `${p.name}@${p.orgId}/${p.resourceId}`).sort(), [
          `yeep.org.read@${org.id}/`,
          `yeep.user.read@${org.id}/r1`,
        ]);
        assert.deepEqual(
          perms.roles.map((r) => `${r.id}@${r.orgId}`),
          [`${role.id}@${org.id}`],
        );
        assertRpcError(
          await rpc(server, 'invitation.accept', {
            token: message.token,
            username: uniqueTag(),
            password: 'another one',
          }),
          10027,
          'Invitation token does not exist or has already expired',
        );
        assert.deepEqual(
          assertOk(await rpc(server, 'invitation.list', { org: org.id }, admin.auth))['invitations'],
          [],
        );
      });

      test('400 for missing account fields; a taken username (10006) leaves the link usable', async () => {
        const org = await createOrg(server, admin);
        const email = address();
        const token = await invite({ user: email, org: org.id });
        const noPassword = assertInvalidBody(
          await rpc(server, 'invitation.accept', { token, username: uniqueTag() }),
        );
        assert.deepEqual(noPassword[0]!.path, ['password']);
        assert.equal(noPassword[0]!.type, 'any.required');
        const noUsername = assertInvalidBody(
          await rpc(server, 'invitation.accept', { token, password: 'invited password' }),
        );
        assert.deepEqual(noUsername[0]!.path, ['username']);
        assertRpcError(
          await rpc(server, 'invitation.accept', {
            token,
            username: admin.username,
            password: 'invited password',
          }),
          10006,
        );
        assertRpcError(
          await rpc(server, 'invitation.accept', { token, username: uniqueTag(), password: 'short' }),
          400,
        );
        assertOk(
          await rpc(server, 'invitation.accept', {
            token,
            username: uniqueTag(),
            password: 'invited password',
          }),
        );
      });

      test('10027 for an unknown or expired token; 400 for a malformed one', async () => {
        assertRpcError(
          await rpc(server, 'invitation.accept', { token: 'b'.repeat(64), password: 'whatever1' }),
          10027,
        );
        const org = await createOrg(server, admin);
        const email = address();
        assertOk(
          await rpc(
            server,
            'invitation.create',
            { user: email, org: org.id, tokenExpiresInSeconds: 60 },
            admin.auth,
          ),
        );
        const token = (await mail.last(email)).token!;
        server.clock.advance(61 * SECOND);
        assertRpcError(
          await rpc(server, 'invitation.accept', {
            token,
            username: uniqueTag(),
            password: 'invited password',
          }),
          10027,
        );
        assertInvalidBody(await rpc(server, 'invitation.accept', { token: 'not/valid', password: 'x' }));
      });

      test('race: concurrent acceptances of one invitation, exactly one account', async () => {
        for (let round = 0; round < 3; round++) {
          const org = await createOrg(server, admin);
          const email = address();
          const token = await invite({ user: email, org: org.id });
          const results = await Promise.all(
            [1, 2, 3].map(() =>
              rpc(server, 'invitation.accept', {
                token,
                username: uniqueTag(),
                password: 'invited password',
              }),
            ),
          );
          assert.equal(
            results.filter((r) => r.body.ok === true).length,
            1,
            JSON.stringify(results.map((r) => r.body)),
          );
          for (const r of results.filter((x) => x.body.ok !== true)) assertRpcError(r, 10027);
          const members = assertOk(await rpc(server, 'user.list', { org: org.id }, admin.auth))[
            'users'
          ] as Array<{ id: string }>;
          assert.equal(members.length, 2, 'the creator and one new member');
        }
      });
    });

    describe('invitations for existing accounts', () => {
      test('by username: accepted by that user only, signed in, with no account fields', async () => {
        const org = await createOrg(server, admin);
        const invitee = await actor(server);
        const other = await actor(server);
        assertOk(await rpc(server, 'invitation.create', { user: invitee.username, org: org.id }, admin.auth));
        const token = (await mail.last(invitee.email)).token!;
        assertRpcError(await rpc(server, 'invitation.accept', { token }), 10012);
        assertRpcError(await rpc(server, 'invitation.accept', { token }, other.auth), 10012);
        assertRpcError(await rpc(server, 'invitation.accept', { token }, bearer('not-a-token')), 10000);
        const forbidden = assertInvalidBody(
          await rpc(server, 'invitation.accept', { token, password: 'new password' }, invitee.auth),
        );
        assert.deepEqual(forbidden[0], {
          message: '"password" is not allowed',
          path: ['password'],
          type: 'any.forbidden',
          context: { key: 'password', label: 'password' },
        });
        const user = assertOk(await rpc(server, 'invitation.accept', { token }, invitee.auth))['user'] as {
          id: string;
          orgs: string[];
        };
        assert.equal(user.id, invitee.id);
        assert.deepEqual(user.orgs, [org.id]);
        // The invitee's own invitations are listed to them; this one is gone.
        assert.deepEqual(
          assertOk(await rpc(server, 'invitation.list', { user: invitee.id }, invitee.auth))['invitations'],
          [],
        );
      });

      test('by an unverified address of an account: accepting verifies it', async () => {
        const org = await createOrg(server, admin);
        const invitee = await actor(server);
        const second = address();
        assertOk(
          await rpc(
            server,
            'user.update',
            {
              id: invitee.id,
              emails: [
                { address: invitee.email, isPrimary: true, isVerified: true },
                { address: second, isPrimary: false },
              ],
            },
            admin.auth,
          ),
        );
        const token = await invite({ user: second.toUpperCase(), org: org.id }, second);
        const user = assertOk(await rpc(server, 'invitation.accept', { token }, invitee.auth))['user'] as {
          emails: Array<{ address: string; isVerified: boolean }>;
        };
        assert.deepEqual(user.emails.find((e) => e.address === second)?.isVerified, true);
      });

      test('10028 when already a member; 10001 for an unknown username', async () => {
        const org = await createOrg(server, admin);
        const member = await actor(server);
        await addMember(server, admin, org.id, member.id);
        assertRpcError(
          await rpc(server, 'invitation.create', { user: member.email, org: org.id }, admin.auth),
          10028,
          `User "${member.id}" is already a member of org "${org.id}"`,
        );
        assertRpcError(
          await rpc(server, 'invitation.create', { user: `nobody_${uniqueTag()}`, org: org.id }, admin.auth),
          10001,
        );
      });
    });

    describe('invitation.create permissions and errors', () => {
      test('needs yeep.invitation.write in the org, and the assignment permission for what it grants', async () => {
        const org = await createOrg(server, admin);
        const inviter = await actor(server);
        const read = await permissionId(server, 'yeep.user.read');
        const role = assertOk(
          await rpc(server, 'role.create', { name: uniqueTag(), permissions: [read] }, admin.auth),
        )['role'] as {
          id: string;
        };
        assertRpcError(
          await rpc(server, 'invitation.create', { user: address(), org: org.id }, inviter.auth),
          10012,
        );
        await addMember(server, admin, org.id, inviter.id);
        await grant(server, admin, inviter.id, 'yeep.invitation.write', org.id);
        assertOk(await rpc(server, 'invitation.create', { user: address(), org: org.id }, inviter.auth));
        assertRpcError(
          await rpc(
            server,
            'invitation.create',
            { user: address(), org: org.id, permissions: [{ id: read }] },
            inviter.auth,
          ),
          10012,
        );
        assertRpcError(
          await rpc(
            server,
            'invitation.create',
            { user: address(), org: org.id, roles: [{ id: role.id }] },
            inviter.auth,
          ),
          10012,
        );
        await grant(server, admin, inviter.id, 'yeep.permission.assignment.write', org.id);
        await grant(server, admin, inviter.id, 'yeep.role.assignment.write', org.id);
        assertOk(
          await rpc(
            server,
            'invitation.create',
            { user: address(), org: org.id, permissions: [{ id: read }], roles: [{ id: role.id }] },
            inviter.auth,
          ),
        );
        const elsewhere = await createOrg(server, admin);
        assertRpcError(
          await rpc(server, 'invitation.create', { user: address(), org: elsewhere.id }, inviter.auth),
          10012,
        );
      });

      test('10011 unknown org; 10008/10017 unknown grants; 10011/10019 grants of another org', async () => {
        const org = await createOrg(server, admin);
        const other = await createOrg(server, admin);
        const foreign = assertOk(
          await rpc(server, 'permission.create', { name: `${uniqueTag()}.f`, scope: other.id }, admin.auth),
        )['permission'] as { id: string };
        const foreignRole = assertOk(
          await rpc(
            server,
            'role.create',
            { name: uniqueTag(), permissions: [foreign.id], scope: other.id },
            admin.auth,
          ),
        )['role'] as { id: string };
        const user = address();
        assertRpcError(await rpc(server, 'invitation.create', { user, org: NOBODY }, admin.auth), 10011);
        assertRpcError(
          await rpc(
            server,
            'invitation.create',
            { user, org: org.id, permissions: [{ id: NOBODY }] },
            admin.auth,
          ),
          10008,
        );
        assertRpcError(
          await rpc(server, 'invitation.create', { user, org: org.id, roles: [{ id: NOBODY }] }, admin.auth),
          10017,
        );
        assertRpcError(
          await rpc(
            server,
            'invitation.create',
            { user, org: org.id, permissions: [{ id: foreign.id }] },
            admin.auth,
          ),
          10011,
        );
        assertRpcError(
          await rpc(
            server,
            'invitation.create',
            { user, org: org.id, roles: [{ id: foreignRole.id }] },
            admin.auth,
          ),
          10019,
        );
        assert.equal((await mail.to(user)).length, 0, 'no mail for a refused invitation');
      });
    });

    describe('invitation.list', () => {
      test('yours without any permission; others need yeep.invitation.read (10012); 10011, 10001; pages', async () => {
        const org = await createOrg(server, admin);
        const other = await createOrg(server, admin);
        const invitee = await actor(server);
        assertOk(await rpc(server, 'invitation.create', { user: invitee.username, org: org.id }, admin.auth));
        assertOk(await rpc(server, 'invitation.create', { user: invitee.email, org: other.id }, admin.auth));
        const mine = assertOk(await rpc(server, 'invitation.list', { user: invitee.id }, invitee.auth))[
          'invitations'
        ] as PresentedInvitation[];
        assert.deepEqual(mine.map((i) => i.org.id).sort(), [org.id, other.id].sort());
        const reader = await actor(server);
        assertRpcError(await rpc(server, 'invitation.list', { user: invitee.id }, reader.auth), 10012);
        assertRpcError(await rpc(server, 'invitation.list', {}, reader.auth), 10012);
        assertRpcError(await rpc(server, 'invitation.list', { org: org.id }, reader.auth), 10012);
        await addMember(server, admin, org.id, reader.id);
        await grant(server, admin, reader.id, 'yeep.invitation.read', org.id);
        const theirs = assertOk(await rpc(server, 'invitation.list', { user: invitee.id }, reader.auth))[
          'invitations'
        ] as PresentedInvitation[];
        assert.deepEqual(
          theirs.map((i) => i.org.id),
          [org.id],
          'only the orgs the reader may read',
        );
        assertRpcError(await rpc(server, 'invitation.list', { org: other.id }, reader.auth), 10012);
        assertRpcError(await rpc(server, 'invitation.list', { org: NOBODY }, admin.auth), 10011);
        assertRpcError(await rpc(server, 'invitation.list', { user: NOBODY }, admin.auth), 10001);

        const paged = await createOrg(server, admin);
        for (let i = 0; i < 3; i++)
          assertOk(await rpc(server, 'invitation.create', { user: address(), org: paged.id }, admin.auth));
        const first = assertOk(await rpc(server, 'invitation.list', { org: paged.id, limit: 2 }, admin.auth));
        assert.equal((first['invitations'] as unknown[]).length, 2);
        const second = assertOk(
          await rpc(
            server,
            'invitation.list',
            { org: paged.id, limit: 2, cursor: first['nextCursor'] },
            admin.auth,
          ),
        );
        assert.equal((second['invitations'] as unknown[]).length, 1);
        assert.equal(second['nextCursor'], undefined);
        server.clock.advance(7 * DAY + SECOND);
        const token = await signIn(server, admin.username, admin.password);
        assert.deepEqual(
          assertOk(await rpc(server, 'invitation.list', { org: paged.id }, bearer(token)))['invitations'],
          [],
        );
      });

      test('yours are those to your verified addresses: an address added without proof shows nothing', async () => {
        const org = await createOrg(server, admin);
        const mallory = await actor(server);
        const newcomer = address();
        const squatted = address();
        await invite({ user: newcomer, org: org.id });
        // Mallory adds both addresses to her account: unverified, needing only her own password.
        assertOk(
          await rpc(
            server,
            'user.update',
            {
              id: mallory.id,
              emails: [
                { address: mallory.email, isPrimary: true, isVerified: true },
                { address: newcomer.toUpperCase() },
                { address: squatted },
              ],
              secondaryAuthFactor: { type: 'PASSWORD', token: mallory.password },
            },
            mallory.auth,
          ),
        );
        // Held before the invitation is made, the address binds it to her account: still not hers to read.
        await invite({ user: squatted, org: org.id });
        const mine = () =>
          rpc(server, 'invitation.list', { user: mallory.id }, mallory.auth).then(
            (res) => assertOk(res)['invitations'] as PresentedInvitation[],
          );
        assert.deepEqual(await mine(), []);
        assert.equal(
          (
            assertOk(await rpc(server, 'invitation.list', { org: org.id }, admin.auth))[
              'invitations'
            ] as unknown[]
          ).length,
          2,
          'both invitations are pending',
        );
        // Once she proves an address (the verification mail reached her), its invitation is hers.
        assertOk(
          await rpc(server, 'user.verifyEmail', { id: mallory.id, emailAddress: newcomer }, mallory.auth),
        );
        const verify = (await mail.last(newcomer)).token!;
        assert.equal(
          (await server.inject({ method: 'GET', url: `/verify-email?token=${verify}` })).statusCode,
          200,
        );
        assert.deepEqual(
          (await mine()).map((i) => [i.org.id, i.user.emailAddress]),
          [[org.id, newcomer]],
        );
      });
    });

    describe('the accept-invitation page', () => {
      test('GET shows a form for a new account, POST creates it (once); existing accounts are sent to their application', async () => {
        const org = await createOrg(server, admin);
        const email = address();
        const token = await invite({ user: email, org: org.id });
        const form = await server.inject({ method: 'GET', url: `/accept-invitation?token=${token}` });
        assert.equal(form.statusCode, 200);
        assert.match(form.body, /name="username"/);
        assert.match(form.body, /name="password"/);
        const username = uniqueTag();
        const post = () =>
          server.inject({
            method: 'POST',
            url: '/accept-invitation',
            headers: { 'content-type': 'application/x-www-form-urlencoded' },
            payload: new URLSearchParams({
              token,
              username,
              password: 'from the page',
              fullName: 'Page User',
            }).toString(),
          });
        const done = await post();
        assert.equal(done.statusCode, 200, done.body);
        await signIn(server, username, 'from the page');
        assert.equal((await post()).statusCode, 400);

        const invitee = await actor(server);
        assertOk(await rpc(server, 'invitation.create', { user: invitee.username, org: org.id }, admin.auth));
        const existing = (await mail.last(invitee.email)).token!;
        const page = await server.inject({ method: 'GET', url: `/accept-invitation?token=${existing}` });
        assert.equal(page.statusCode, 200);
        assert.match(page.body, /existing account/);
        assert.doesNotMatch(page.body, /<form/);
        assert.equal(
          (await server.inject({ method: 'GET', url: '/accept-invitation?token=nope' })).statusCode,
          400,
        );
      });

      test('POST refuses over-long fields whole (never truncated), creating nothing; the link keeps working; 1024 code points are set whole', async () => {
        const org = await createOrg(server, admin);
        const email = address();
        const token = await invite({ user: email, org: org.id });
        const username = uniqueTag();
        const post = (fields: Record<string, string>) =>
          server.inject({
            method: 'POST',
            url: '/accept-invitation',
            headers: { 'content-type': 'application/x-www-form-urlencoded' },
            payload: new URLSearchParams({ token, username, ...fields }).toString(),
          });
        const tooLong = 'x'.repeat(1100);
        const refused = await post({ password: tooLong });
        assert.equal(refused.statusCode, 400);
        assert.match(refused.body, /Password must be between 8 and 1024 characters/);
        assert.match(refused.body, /<form method="post"/, 'the form again, to try once more');
        assert.doesNotMatch(refused.body, /maxlength="1024"/, 'no browser-side cut either');
        const longName = await post({ password: 'from the page', fullName: 'N'.repeat(101) });
        assert.equal(longName.statusCode, 400);
        assert.match(longName.body, /Full name must be at most 100 characters/);
        // Nothing was created, and the invitation is still pending.
        assertRpcError(
          await rpc(server, 'session.issueToken', { user: username, password: tooLong.slice(0, 1024) }),
          10002,
        );
        const pending = assertOk(await rpc(server, 'invitation.list', { org: org.id }, admin.auth))[
          'invitations'
        ] as PresentedInvitation[];
        assert.equal(pending.length, 1);
        // Exactly the maximum, counted in code points: 1000 + 24 astral characters (1048 UTF-16 units).
        const longest = `${'p'.repeat(1000)}${'🔑'.repeat(24)}`;
        const done = await post({ password: longest, fullName: '🔑'.repeat(100) });
        assert.equal(done.statusCode, 200, done.body);
        const token2 = await signIn(server, username, longest);
        const me = assertOk(await rpc(server, 'user.info', {}, bearer(token2)))['user'] as {
          fullName: string;
        };
        assert.equal(me.fullName, '🔑'.repeat(100));
        assertRpcError(
          await rpc(server, 'session.issueToken', { user: username, password: longest.slice(0, 1024) }),
          10002,
        );
      });
    });
  });
}
