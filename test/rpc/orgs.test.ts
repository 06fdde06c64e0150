import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { backends } from '../helpers/backends.js';
import { rpc } from '../helpers/rpc.js';
import type { TestServer } from '../helpers/server.js';
import {
  type Actor,
  actor,
  addMember,
  adminRoleId,
  createOrg,
  grant,
  NOBODY,
  permissionId,
  startIdentityServer,
} from './identity-support.js';
import { assertInvalidBody, assertOk, assertRpcError, MINUTE, uniqueTag } from './support.js';

interface PresentedOrg {
  id: string;
  name: string;
  slug: string;
  createdAt: string;
  updatedAt: string;
}

for (const backend of await backends()) {
  describe(`rpc org.* (${backend.name})`, () => {
    let server: TestServer;
    let admin: Actor;
    before(async () => {
      ({ server } = await startIdentityServer(backend));
      admin = await actor(server, { superuser: true });
    });
    after(async () => server.close());

    const userInfo = async (who: Actor, id: string, projection: Record<string, boolean> = {}) =>
      assertOk(await rpc(server, 'user.info', { id, projection }, who.auth))['user'] as Record<
        string,
        unknown
      >;

    describe('org.create', () => {
      test('with global yeep.org.write: the org, its slug lowercased; the creator is its admin there', async () => {
        const tag = uniqueTag();
        const now = server.clock.now();
        const res = await rpc(server, 'org.create', { name: 'Acme Corp', slug: `Acme-${tag}` }, admin.auth);
        const org = assertOk(res)['org'] as PresentedOrg;
        assert.match(org.id, /^[0-9a-f]{24}$/);
        assert.deepEqual(org, {
          id: org.id,
          name: 'Acme Corp',
          slug: `acme-${tag}`,
          createdAt: new Date(now).toISOString(),
          updatedAt: new Date(now).toISOString(),
        });
        const me = await userInfo(admin, admin.id, { roles: true });
        assert.ok((me['orgs'] as string[]).includes(org.id));
        assert.deepEqual(
          (me['roles'] as Array<Record<string, unknown>>).find((r) => r['orgId'] === org.id),
          { id: await adminRoleId(server), name: 'admin', isSystemRole: true, orgId: org.id, resourceId: '' },
        );
      });

      test('10012 without yeep.org.write while org creation is closed (the default)', async () => {
        const someone = await actor(server);
        assertRpcError(
          await rpc(server, 'org.create', { name: 'Nope Inc', slug: uniqueTag() }, someone.auth),
          10012,
          `User "${someone.id}" does not have sufficient permissions to access this resource`,
        );
        await grant(server, admin, someone.id, 'yeep.org.write');
        assertOk(await rpc(server, 'org.create', { name: 'Yes Inc', slug: uniqueTag() }, someone.auth));
      });

      test('10003 for a slug in use (whatever its case)', async () => {
        const org = await createOrg(server, admin);
        assertRpcError(
          await rpc(server, 'org.create', { name: 'Again', slug: org.slug.toUpperCase() }, admin.auth),
          10003,
          `Org "${org.slug}" already exists`,
        );
      });

      test('400 for a bad name or slug', async () => {
        for (const body of [
          { name: 'ab', slug: 'valid-slug' },
          { name: 'Valid name', slug: 'no spaces' },
          { name: 'Valid name', slug: 'xy' },
          { name: 'Valid name', slug: 'x'.repeat(31) },
          { name: 'Valid name' },
        ]) {
          assertInvalidBody(await rpc(server, 'org.create', body, admin.auth));
        }
        assertRpcError(await rpc(server, 'org.create', { name: 'Valid name', slug: 'valid-slug' }), 10000);
      });
    });

    describe('org.info, org.update, org.delete', () => {
      test('org.info: 10011 for an unknown org (before authorization), 10012 for a stranger; members with org.read may', async () => {
        const org = await createOrg(server, admin);
        const stranger = await actor(server);
        assertRpcError(
          await rpc(server, 'org.info', { id: NOBODY }, stranger.auth),
          10011,
          `Org "${NOBODY}" does not exist`,
        );
        assertRpcError(await rpc(server, 'org.info', { id: org.id }, stranger.auth), 10012);
        await addMember(server, admin, org.id, stranger.id);
        assertRpcError(await rpc(server, 'org.info', { id: org.id }, stranger.auth), 10012);
        await grant(server, admin, stranger.id, 'yeep.org.read', org.id);
        assert.deepEqual(assertOk(await rpc(server, 'org.info', { id: org.id }, stranger.auth))['org'], org);
        assert.deepEqual(assertOk(await rpc(server, 'org.info', { id: org.id }, admin.auth))['org'], org);
      });

      test('org.update renames and re-slugs; 10003 for a taken slug; 400 with nothing to change', async () => {
        const org = await createOrg(server, admin);
        const other = await createOrg(server, admin);
        server.clock.advance(1000);
        const res = await rpc(
          server,
          'org.update',
          { id: org.id, name: 'Renamed', slug: `NEW-${org.slug}` },
          admin.auth,
        );
        const updated = assertOk(res)['org'] as PresentedOrg;
        assert.equal(updated.name, 'Renamed');
        assert.equal(updated.slug, `new-${org.slug}`);
        assert.equal(updated.createdAt, org.createdAt);
        assert.equal(updated.updatedAt, new Date(server.clock.now()).toISOString());
        assertRpcError(await rpc(server, 'org.update', { id: org.id, slug: other.slug }, admin.auth), 10003);
        const details = assertInvalidBody(await rpc(server, 'org.update', { id: org.id }, admin.auth));
        assert.equal(details[0]!.type, 'object.missing');
        assertRpcError(await rpc(server, 'org.update', { id: NOBODY, name: 'Whatever' }, admin.auth), 10011);
      });

      test('org.update and org.delete need yeep.org.write in the org or globally', async () => {
        const org = await createOrg(server, admin);
        const someone = await actor(server);
        await addMember(server, admin, org.id, someone.id);
        assertRpcError(
          await rpc(server, 'org.update', { id: org.id, name: 'Mine now' }, someone.auth),
          10012,
        );
        assertRpcError(await rpc(server, 'org.delete', { id: org.id }, someone.auth), 10012);
        const elsewhere = await createOrg(server, admin);
        await grant(server, admin, someone.id, 'yeep.org.write', org.id);
        assertOk(await rpc(server, 'org.update', { id: org.id, name: 'Mine now' }, someone.auth));
        // A grant in one org is not one in another.
        assertRpcError(
          await rpc(server, 'org.update', { id: elsewhere.id, name: 'Not mine' }, someone.auth),
          10012,
        );
        assertOk(await rpc(server, 'org.delete', { id: org.id }, someone.auth));
      });

      test('org.delete removes the org, its memberships, the grants made in it and its own permissions and roles', async () => {
        const org = await createOrg(server, admin);
        const member = await actor(server);
        const scoped = assertOk(
          await rpc(server, 'permission.create', { name: `${uniqueTag()}.read`, scope: org.id }, admin.auth),
        )['permission'] as { id: string };
        const role = assertOk(
          await rpc(
            server,
            'role.create',
            { name: uniqueTag(), permissions: [scoped.id], scope: org.id },
            admin.auth,
          ),
        )['role'] as { id: string };
        assertOk(
          await rpc(
            server,
            'org.addMember',
            { orgId: org.id, userId: member.id, permissions: [{ id: scoped.id }], roles: [{ id: role.id }] },
            admin.auth,
          ),
        );
        assert.ok(
          ((await userInfo(member, member.id, { permissions: true }))['permissions'] as unknown[]).length > 0,
        );
        assertOk(await rpc(server, 'org.delete', { id: org.id }, admin.auth));
        assertRpcError(await rpc(server, 'org.info', { id: org.id }, admin.auth), 10011);
        assertRpcError(await rpc(server, 'org.delete', { id: org.id }, admin.auth), 10011);
        const after = await userInfo(member, member.id, { permissions: true, roles: true });
        assert.deepEqual(after['orgs'], []);
        assert.deepEqual(after['permissions'], []);
        assert.deepEqual(after['roles'], []);
        assertRpcError(await rpc(server, 'permission.info', { id: scoped.id }, admin.auth), 10008);
        assertRpcError(await rpc(server, 'role.info', { id: role.id }, admin.auth), 10017);
      });
    });

    describe('org.list', () => {
      test('global yeep.org.read: every org, a name/slug prefix, a count and cursor pages', async () => {
        const tag = uniqueTag();
        const made: PresentedOrg[] = [];
        for (let i = 0; i < 3; i++) made.push(await createOrg(server, admin, `${tag}-${i}`));
        const first = assertOk(await rpc(server, 'org.list', { q: tag, limit: 2 }, admin.auth));
        const ids = made.map((o) => o.id).sort();
        assert.deepEqual(
          (first['orgs'] as PresentedOrg[]).map((o) => o.id),
          ids.slice(0, 2),
        );
        assert.equal(first['orgsCount'], 3);
        assert.equal(typeof first['nextCursor'], 'string');
        const second = assertOk(
          await rpc(server, 'org.list', { q: tag, limit: 2, cursor: first['nextCursor'] }, admin.auth),
        );
        assert.deepEqual(
          (second['orgs'] as PresentedOrg[]).map((o) => o.id),
          ids.slice(2),
        );
        assert.equal(second['nextCursor'], undefined);
        assert.equal(second['orgsCount'], 3);
        const byName = assertOk(await rpc(server, 'org.list', { q: `ORG ${tag}` }, admin.auth));
        assert.equal(byName['orgsCount'], 3, 'names match too, case-insensitively');
        assertRpcError(
          await rpc(server, 'org.list', { cursor: 'not-a-cursor' }, admin.auth),
          400,
          'Invalid cursor',
        );
      });

      test('yeep.org.read in some orgs lists those only; without it, nothing', async () => {
        const tag = uniqueTag();
        const readable = await createOrg(server, admin, `${tag}-a`);
        await createOrg(server, admin, `${tag}-b`);
        const someone = await actor(server);
        const none = assertOk(await rpc(server, 'org.list', { q: tag }, someone.auth));
        assert.deepEqual(none['orgs'], []);
        assert.equal(none['orgsCount'], 0);
        await addMember(server, admin, readable.id, someone.id);
        await grant(server, admin, someone.id, 'yeep.org.read', readable.id);
        const some = assertOk(await rpc(server, 'org.list', { q: tag }, someone.auth));
        assert.deepEqual(
          (some['orgs'] as PresentedOrg[]).map((o) => o.id),
          [readable.id],
        );
        assert.equal(some['orgsCount'], 1);
      });

      test("`user`: your own orgs always; another's with yeep.user.read and an assignment-read permission; 10001, 10012", async () => {
        const a = await createOrg(server, admin);
        const b = await createOrg(server, admin);
        const member = await actor(server);
        await addMember(server, admin, a.id, member.id);
        await addMember(server, admin, b.id, member.id);
        const own = assertOk(await rpc(server, 'org.list', { user: member.id }, member.auth));
        assert.deepEqual((own['orgs'] as PresentedOrg[]).map((o) => o.id).sort(), [a.id, b.id].sort());
        const viewer = await actor(server);
        assertRpcError(
          await rpc(server, 'org.list', { user: member.id }, viewer.auth),
          10012,
          `User "${viewer.id}" is not allowed to list orgs that user "${member.id}" is member of`,
        );
        await addMember(server, admin, a.id, viewer.id);
        await grant(server, admin, viewer.id, 'yeep.user.read', a.id);
        await grant(server, admin, viewer.id, 'yeep.role.assignment.read', a.id);
        await grant(server, admin, viewer.id, 'yeep.org.read', a.id);
        const theirs = assertOk(await rpc(server, 'org.list', { user: member.id }, viewer.auth));
        assert.deepEqual(
          (theirs['orgs'] as PresentedOrg[]).map((o) => o.id),
          [a.id],
          'only the orgs the viewer may read',
        );
        assertRpcError(await rpc(server, 'org.list', { user: NOBODY }, admin.auth), 10001);
      });
    });

    describe('org.addMember and org.removeMember', () => {
      test('a member with permissions and roles in the org; 10028 when already a member', async () => {
        const org = await createOrg(server, admin);
        const member = await actor(server);
        const custom = assertOk(
          await rpc(server, 'permission.create', { name: `${uniqueTag()}.edit`, scope: org.id }, admin.auth),
        )['permission'] as { id: string; name: string };
        const readId = await permissionId(server, 'yeep.user.read');
        const role = assertOk(
          await rpc(server, 'role.create', { name: uniqueTag(), permissions: [readId] }, admin.auth),
        )['role'] as { id: string; name: string };
        assertOk(
          await rpc(
            server,
            'org.addMember',
            {
              orgId: org.id,
              userId: member.id,
              permissions: [{ id: custom.id, resourceId: 'doc-1' }],
              roles: [{ id: role.id, resourceId: 42 }],
            },
            admin.auth,
          ),
        );
        const info = await userInfo(admin, member.id, { permissions: true, roles: true });
        assert.deepEqual(info['orgs'], [org.id]);
        assert.deepEqual(
          info['permissions'],
          [
            {
              id: custom.id,
              name: custom.name,
              isSystemPermission: false,
              orgId: org.id,
              resourceId: 'doc-1',
              roleId: '',
            },
            {
              id: readId,
              name: 'yeep.user.read',
              isSystemPermission: true,
              orgId: org.id,
              resourceId: '42',
              roleId: role.id,
            },
          ].sort((x, y) => x.name.localeCompare(y.name)),
        );
        assert.deepEqual(info['roles'], [
          { id: role.id, name: role.name, isSystemRole: false, orgId: org.id, resourceId: '42' },
        ]);
        assertRpcError(
          await rpc(server, 'org.addMember', { orgId: org.id, userId: member.id }, admin.auth),
          10028,
          `User "${member.id}" is already a member of org "${org.id}"`,
        );
      });

      test('10011 unknown org, 10001 unknown user, both before authorization', async () => {
        const org = await createOrg(server, admin);
        const someone = await actor(server);
        assertRpcError(
          await rpc(server, 'org.addMember', { orgId: NOBODY, userId: someone.id }, someone.auth),
          10011,
        );
        assertRpcError(
          await rpc(server, 'org.addMember', { orgId: org.id, userId: NOBODY }, someone.auth),
          10001,
        );
        assertRpcError(
          await rpc(server, 'org.removeMember', { orgId: NOBODY, userId: someone.id }, someone.auth),
          10011,
        );
        assertRpcError(
          await rpc(server, 'org.removeMember', { orgId: org.id, userId: NOBODY }, someone.auth),
          10001,
        );
      });

      test('needs yeep.user.write, plus the assignment permission for what it grants', async () => {
        const org = await createOrg(server, admin);
        const manager = await actor(server);
        const newcomer = await actor(server);
        const readId = await permissionId(server, 'yeep.user.read');
        const roleId = await adminRoleId(server);
        assertRpcError(
          await rpc(server, 'org.addMember', { orgId: org.id, userId: newcomer.id }, manager.auth),
          10012,
        );
        await addMember(server, admin, org.id, manager.id);
        await grant(server, admin, manager.id, 'yeep.user.write', org.id);
        const withPermission = { orgId: org.id, userId: newcomer.id, permissions: [{ id: readId }] };
        const withRole = { orgId: org.id, userId: newcomer.id, roles: [{ id: roleId }] };
        assertRpcError(await rpc(server, 'org.addMember', withPermission, manager.auth), 10012);
        await grant(server, admin, manager.id, 'yeep.permission.assignment.write', org.id);
        assertRpcError(await rpc(server, 'org.addMember', withRole, manager.auth), 10012);
        await grant(server, admin, manager.id, 'yeep.role.assignment.write', org.id);
        assertOk(
          await rpc(server, 'org.addMember', { ...withPermission, roles: withRole.roles }, manager.auth),
        );
        assertOk(await rpc(server, 'org.removeMember', { orgId: org.id, userId: newcomer.id }, manager.auth));
        const stranger = await actor(server);
        assertRpcError(
          await rpc(server, 'org.removeMember', { orgId: org.id, userId: manager.id }, stranger.auth),
          10012,
        );
      });

      test('10008/10017 unknown permission or role; 10011/10019 one scoped to another org', async () => {
        const org = await createOrg(server, admin);
        const other = await createOrg(server, admin);
        const user = await actor(server);
        const foreign = assertOk(
          await rpc(server, 'permission.create', { name: `${uniqueTag()}.x`, scope: other.id }, admin.auth),
        )['permission'] as { id: string };
        const foreignRole = assertOk(
          await rpc(
            server,
            'role.create',
            { name: uniqueTag(), permissions: [foreign.id], scope: other.id },
            admin.auth,
          ),
        )['role'] as { id: string };
        const body = { orgId: org.id, userId: user.id };
        assertRpcError(
          await rpc(server, 'org.addMember', { ...body, permissions: [{ id: NOBODY }] }, admin.auth),
          10008,
          `Permission "${NOBODY}" does not exist`,
        );
        assertRpcError(
          await rpc(server, 'org.addMember', { ...body, permissions: [{ id: foreign.id }] }, admin.auth),
          10011,
          `Permission "${foreign.id}" cannot be assigned to the designated org`,
        );
        assertRpcError(
          await rpc(server, 'org.addMember', { ...body, roles: [{ id: NOBODY }] }, admin.auth),
          10017,
        );
        assertRpcError(
          await rpc(server, 'org.addMember', { ...body, roles: [{ id: foreignRole.id }] }, admin.auth),
          10019,
          `Role "${foreignRole.id}" cannot be assigned to the designated org`,
        );
        // Nothing was half-done.
        assert.deepEqual((await userInfo(admin, user.id))['orgs'], []);
      });

      test('removeMember ends the membership and its grants; 10023 when not a member', async () => {
        const org = await createOrg(server, admin);
        const member = await actor(server);
        const readId = await permissionId(server, 'yeep.org.read');
        assertOk(
          await rpc(
            server,
            'org.addMember',
            { orgId: org.id, userId: member.id, permissions: [{ id: readId }] },
            admin.auth,
          ),
        );
        assertOk(await rpc(server, 'org.info', { id: org.id }, member.auth));
        assertOk(await rpc(server, 'org.removeMember', { orgId: org.id, userId: member.id }, admin.auth));
        assertRpcError(await rpc(server, 'org.info', { id: org.id }, member.auth), 10012);
        const info = await userInfo(admin, member.id, { permissions: true });
        assert.deepEqual(info['orgs'], []);
        assert.deepEqual(info['permissions'], []);
        assertRpcError(
          await rpc(server, 'org.removeMember', { orgId: org.id, userId: member.id }, admin.auth),
          10023,
          `User "${member.id}" is not a member of org "${org.id}"`,
        );
      });

      test('expiresInSeconds: the membership and its grants end then; the user may be added again', async () => {
        const org = await createOrg(server, admin);
        const member = await actor(server);
        const readId = await permissionId(server, 'yeep.org.read');
        assertOk(
          await rpc(
            server,
            'org.addMember',
            { orgId: org.id, userId: member.id, permissions: [{ id: readId }], expiresInSeconds: 60 },
            admin.auth,
          ),
        );
        assertOk(await rpc(server, 'org.info', { id: org.id }, member.auth));
        // The member's own user.info is answered from the per-process caches once read:
        // the membership must still end there at its second, not when the cache entry does.
        assert.deepEqual((await userInfo(member, member.id))['orgs'], [org.id]);
        assert.deepEqual((await userInfo(member, member.id))['orgs'], [org.id]);
        server.clock.advance(61_000);
        assert.deepEqual((await userInfo(member, member.id))['orgs'], []);
        assertRpcError(await rpc(server, 'org.info', { id: org.id }, member.auth), 10012);
        assert.deepEqual((await userInfo(admin, member.id))['orgs'], []);
        assertOk(await rpc(server, 'org.addMember', { orgId: org.id, userId: member.id }, admin.auth));
        assert.deepEqual((await userInfo(admin, member.id))['orgs'], [org.id]);
        assertRpcError(await rpc(server, 'org.info', { id: org.id }, member.auth), 10012);
        server.clock.advance(-61_000);
        assertInvalidBody(
          await rpc(
            server,
            'org.addMember',
            { orgId: org.id, userId: member.id, expiresInSeconds: 31 * 86400 },
            admin.auth,
          ),
        );
      });
    });

    describe('open org creation (rpc.orgCreationOpen)', () => {
      let open: TestServer;
      before(async () => {
        ({ server: open } = await startIdentityServer(backend, { 'rpc.orgCreationOpen': true }));
      });
      after(async () => open.close());

      test('anyone signed in creates orgs and runs them, and only them', async () => {
        const alice = await actor(open);
        const bob = await actor(open);
        const res = await rpc(open, 'org.create', { name: 'Alice Co', slug: uniqueTag() }, alice.auth);
        const org = assertOk(res)['org'] as PresentedOrg;
        assertOk(await rpc(open, 'org.update', { id: org.id, name: 'Alice & Co' }, alice.auth));
        assertOk(await rpc(open, 'org.addMember', { orgId: org.id, userId: bob.id }, alice.auth));
        // Admin in her org: she reads its members, but not users elsewhere, and holds nothing globally.
        assertOk(await rpc(open, 'user.info', { id: bob.id }, alice.auth));
        const carol = await actor(open);
        assertRpcError(await rpc(open, 'user.info', { id: carol.id }, alice.auth), 10012);
        const bobs = assertOk(await rpc(open, 'org.create', { name: 'Bob Co', slug: uniqueTag() }, bob.auth))[
          'org'
        ] as PresentedOrg;
        assertRpcError(await rpc(open, 'org.update', { id: bobs.id, name: 'Mine' }, alice.auth), 10012);
        assertRpcError(await rpc(open, 'user.delete', { id: bob.id }, alice.auth), 10012);
      });
    });

    describe('user.info and user.list through orgs', () => {
      test('yeep.user.read in an org reads its members, no one else; their grants need assignment-read there', async () => {
        const org = await createOrg(server, admin);
        const other = await createOrg(server, admin);
        const reader = await actor(server);
        const member = await actor(server);
        const outsider = await actor(server);
        await addMember(server, admin, org.id, reader.id);
        await addMember(server, admin, org.id, member.id);
        await addMember(server, admin, other.id, member.id);
        await addMember(server, admin, other.id, outsider.id);
        await grant(server, admin, reader.id, 'yeep.user.read', org.id);
        await grant(server, admin, member.id, 'yeep.org.read', org.id);
        await grant(server, admin, member.id, 'yeep.org.read', other.id);
        await grant(server, admin, member.id, 'yeep.org.write');

        const info = assertOk(await rpc(server, 'user.info', { id: member.id }, reader.auth))[
          'user'
        ] as Record<string, unknown>;
        assert.deepEqual((info['orgs'] as string[]).sort(), [org.id, other.id].sort());
        assertRpcError(await rpc(server, 'user.info', { id: outsider.id }, reader.auth), 10012);
        assertRpcError(
          await rpc(server, 'user.info', { id: member.id, projection: { permissions: true } }, reader.auth),
          10012,
        );
        assertRpcError(
          await rpc(server, 'user.info', { id: member.id, projection: { roles: true } }, reader.auth),
          10012,
        );
        await grant(server, admin, reader.id, 'yeep.permission.assignment.read', org.id);
        const withPermissions = assertOk(
          await rpc(server, 'user.info', { id: member.id, projection: { permissions: true } }, reader.auth),
        )['user'] as { permissions: Array<{ name: string; orgId: string }> };
        // Only the grants made in the org the reader shares with them.
        assert.deepEqual(
          withPermissions.permissions.map((p) => `${p.name}@${p.orgId}`),
          [`yeep.org.read@${org.id}`],
        );

        const listed = assertOk(await rpc(server, 'user.list', { limit: 500 }, reader.auth))[
          'users'
        ] as Array<{
          id: string;
        }>;
        // The org's creator (admin) is a member too.
        assert.deepEqual(listed.map((u) => u.id).sort(), [admin.id, reader.id, member.id].sort());
        const inOrg = assertOk(await rpc(server, 'user.list', { org: org.id }, reader.auth))[
          'users'
        ] as Array<{
          id: string;
        }>;
        assert.deepEqual(inOrg.map((u) => u.id).sort(), [admin.id, reader.id, member.id].sort());
        assertRpcError(await rpc(server, 'user.list', { org: other.id }, reader.auth), 10012);
        const withGrants = assertOk(
          await rpc(server, 'user.list', { org: org.id, projection: { permissions: true } }, reader.auth),
        )['users'] as Array<{ id: string; permissions: Array<{ orgId: string }> }>;
        for (const u of withGrants) assert.ok(u.permissions.every((p) => p.orgId === org.id));
        assertRpcError(
          await rpc(server, 'user.list', { org: org.id, projection: { roles: true } }, reader.auth),
          10012,
        );
      });

      test('user.create with orgs makes the new user a member of each', async () => {
        const a = await createOrg(server, admin);
        const b = await createOrg(server, admin);
        const tag = uniqueTag();
        const res = await rpc(
          server,
          'user.create',
          {
            username: tag,
            password: 'a long enough password',
            emails: [{ address: `${tag}@${tag}.test`, isPrimary: true }],
            orgs: [a.id, b.id, a.id],
          },
          admin.auth,
        );
        const user = assertOk(res)['user'] as { id: string; orgs: string[] };
        assert.deepEqual([...user.orgs].sort(), [a.id, b.id].sort());
        const listed = assertOk(await rpc(server, 'user.list', { org: b.id }, admin.auth))['users'] as Array<{
          id: string;
        }>;
        assert.deepEqual(
          listed.map((u) => u.id).sort(),
          [admin.id, user.id].sort(),
          'the creator and the new user',
        );
      });

      test('a membership that expired no longer lets its org read the user', async () => {
        const org = await createOrg(server, admin);
        const reader = await actor(server);
        const member = await actor(server);
        await addMember(server, admin, org.id, reader.id);
        await grant(server, admin, reader.id, 'yeep.user.read', org.id);
        assertOk(
          await rpc(
            server,
            'org.addMember',
            { orgId: org.id, userId: member.id, expiresInSeconds: 60 },
            admin.auth,
          ),
        );
        assertOk(await rpc(server, 'user.info', { id: member.id }, reader.auth));
        server.clock.advance(2 * MINUTE);
        assertRpcError(await rpc(server, 'user.info', { id: member.id }, reader.auth), 10012);
        server.clock.advance(-2 * MINUTE);
      });
    });
  });
}
