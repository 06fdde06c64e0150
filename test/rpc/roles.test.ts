import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { SYSTEM_PERMISSIONS } from '../../src/identity/system-permissions.js';
import { backends } from '../helpers/backends.js';
import { rpc, signIn } from '../helpers/rpc.js';
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
import { assertInvalidBody, assertOk, assertRpcError, jwtPayload, uniqueTag } from './support.js';

interface PresentedRole {
  id: string;
  name: string;
  description: string | null;
  scope: string | null;
  isSystemRole: boolean;
  permissions: string[];
  createdAt: string;
  updatedAt: string;
  usersCount?: number;
}

for (const backend of await backends()) {
  describe(`rpc role.* and role assignments (${backend.name})`, () => {
    let server: TestServer;
    let admin: Actor;
    let read: string;
    let write: string;
    before(async () => {
      ({ server } = await startIdentityServer(backend));
      admin = await actor(server, { superuser: true });
      read = await permissionId(server, 'yeep.user.read');
      write = await permissionId(server, 'yeep.user.write');
    });
    after(async () => server.close());

    async function create(body: Record<string, unknown>, by: Actor = admin): Promise<PresentedRole> {
      return assertOk(await rpc(server, 'role.create', body, by.auth))['role'] as PresentedRole;
    }

    describe('role.create', () => {
      test('a global role: name lowercased (":" allowed), its permissions sorted and unique', async () => {
        const name = `Editors:${uniqueTag()}`;
        const now = server.clock.now();
        const role = await create({ name, description: 'Edit things', permissions: [write, read, write] });
        assert.deepEqual(role, {
          id: role.id,
          name: name.toLowerCase(),
          description: 'Edit things',
          scope: null,
          isSystemRole: false,
          permissions: [read, write].sort(),
          createdAt: new Date(now).toISOString(),
          updatedAt: new Date(now).toISOString(),
        });
        assert.deepEqual(assertOk(await rpc(server, 'role.info', { id: role.id }, admin.auth))['role'], role);
      });

      test('scoped to an org: global permissions and its own org’s, not another org’s (10008); 10011', async () => {
        const org = await createOrg(server, admin);
        const other = await createOrg(server, admin);
        const own = assertOk(
          await rpc(server, 'permission.create', { name: `${uniqueTag()}.own`, scope: org.id }, admin.auth),
        )['permission'] as { id: string };
        const foreign = assertOk(
          await rpc(
            server,
            'permission.create',
            { name: `${uniqueTag()}.foreign`, scope: other.id },
            admin.auth,
          ),
        )['permission'] as { id: string };
        const role = await create({ name: uniqueTag(), permissions: [own.id, read], scope: org.id });
        assert.equal(role.scope, org.id);
        for (const body of [
          { name: uniqueTag(), permissions: [foreign.id], scope: org.id },
          { name: uniqueTag(), permissions: [own.id] },
          { name: uniqueTag(), permissions: [NOBODY] },
        ]) {
          assertRpcError(
            await rpc(server, 'role.create', body, admin.auth),
            10008,
            `Permission "${body.permissions[0]}" does not exist or is not accessible`,
          );
        }
        assertRpcError(
          await rpc(
            server,
            'role.create',
            { name: uniqueTag(), permissions: [read], scope: NOBODY },
            admin.auth,
          ),
          10011,
        );
      });

      test('10016 for a name in use (admin included); 10012 without yeep.role.write in the scope; 400', async () => {
        const role = await create({ name: uniqueTag(), permissions: [read] });
        assertRpcError(
          await rpc(
            server,
            'role.create',
            { name: role.name.toUpperCase(), permissions: [read] },
            admin.auth,
          ),
          10016,
          `Role "${role.name}" already exists`,
        );
        assertRpcError(
          await rpc(server, 'role.create', { name: 'admin', permissions: [read] }, admin.auth),
          10016,
        );
        const org = await createOrg(server, admin);
        const someone = await actor(server);
        assertRpcError(
          await rpc(
            server,
            'role.create',
            { name: uniqueTag(), permissions: [read], scope: org.id },
            someone.auth,
          ),
          10012,
        );
        await addMember(server, admin, org.id, someone.id);
        await grant(server, admin, someone.id, 'yeep.role.write', org.id);
        assertOk(
          await rpc(
            server,
            'role.create',
            { name: uniqueTag(), permissions: [read], scope: org.id },
            someone.auth,
          ),
        );
        assertRpcError(
          await rpc(server, 'role.create', { name: uniqueTag(), permissions: [read] }, someone.auth),
          10012,
        );
        for (const body of [
          { name: uniqueTag(), permissions: [] },
          { name: 'bad name', permissions: [read] },
          { name: uniqueTag(), permissions: Array.from({ length: 101 }, () => read) },
          { name: uniqueTag() },
        ]) {
          assertInvalidBody(await rpc(server, 'role.create', body, admin.auth));
        }
      });
    });

    describe('role.info, role.update, role.delete', () => {
      test('info: 10017 before authorization; yeep.role.read in its scope', async () => {
        const org = await createOrg(server, admin);
        const role = await create({ name: uniqueTag(), permissions: [read], scope: org.id });
        const someone = await actor(server);
        assertRpcError(
          await rpc(server, 'role.info', { id: NOBODY }, someone.auth),
          10017,
          `Role ${NOBODY} cannot be found`,
        );
        assertRpcError(await rpc(server, 'role.info', { id: role.id }, someone.auth), 10012);
        await addMember(server, admin, org.id, someone.id);
        await grant(server, admin, someone.id, 'yeep.role.read', org.id);
        assert.deepEqual(
          assertOk(await rpc(server, 'role.info', { id: role.id }, someone.auth))['role'],
          role,
        );
      });

      test('update: name, description and permissions; 10016, 10008, 10012, 10017, 400', async () => {
        const role = await create({ name: uniqueTag(), permissions: [read] });
        const taken = await create({ name: uniqueTag(), permissions: [read] });
        server.clock.advance(1000);
        const updated = assertOk(
          await rpc(
            server,
            'role.update',
            { id: role.id, name: 'Renamed-' + role.name, description: 'd', permissions: [write] },
            admin.auth,
          ),
        )['role'] as PresentedRole;
        assert.equal(updated.name, `renamed-${role.name}`);
        assert.equal(updated.description, 'd');
        assert.deepEqual(updated.permissions, [write]);
        assert.equal(updated.updatedAt, new Date(server.clock.now()).toISOString());
        assertRpcError(
          await rpc(server, 'role.update', { id: role.id, name: taken.name }, admin.auth),
          10016,
        );
        assertRpcError(
          await rpc(server, 'role.update', { id: role.id, permissions: [NOBODY] }, admin.auth),
          10008,
        );
        assertRpcError(await rpc(server, 'role.update', { id: NOBODY, name: 'x-y' }, admin.auth), 10017);
        const someone = await actor(server);
        assertRpcError(await rpc(server, 'role.update', { id: role.id, name: 'mine' }, someone.auth), 10012);
        assert.equal(
          assertInvalidBody(await rpc(server, 'role.update', { id: role.id }, admin.auth))[0]!.type,
          'object.missing',
        );
      });

      test('the admin role is immutable: 10018 on update and delete; it holds every system permission', async () => {
        const id = await adminRoleId(server);
        assertRpcError(
          await rpc(server, 'role.update', { id, permissions: [read] }, admin.auth),
          10018,
          `Role ${id} is a system role and thus cannot be updated`,
        );
        assertRpcError(
          await rpc(server, 'role.delete', { id }, admin.auth),
          10018,
          `Role ${id} is a system role and thus cannot be deleted`,
        );
        const role = assertOk(await rpc(server, 'role.info', { id }, admin.auth))['role'] as PresentedRole;
        assert.equal(role.isSystemRole, true);
        assert.equal(role.name, 'admin');
        const ids = await Promise.all(SYSTEM_PERMISSIONS.map((n) => permissionId(server, n)));
        assert.deepEqual(role.permissions, ids.sort());
      });

      test('delete: the role and its grants go; 10017 afterwards; 10012', async () => {
        const role = await create({ name: uniqueTag(), permissions: [read] });
        const user = await actor(server);
        assertOk(await rpc(server, 'user.assignRole', { userId: user.id, roleId: role.id }, admin.auth));
        const someone = await actor(server);
        assertRpcError(await rpc(server, 'role.delete', { id: role.id }, someone.auth), 10012);
        assertOk(await rpc(server, 'role.delete', { id: role.id }, admin.auth));
        assertRpcError(await rpc(server, 'role.info', { id: role.id }, admin.auth), 10017);
        assertRpcError(await rpc(server, 'role.delete', { id: role.id }, admin.auth), 10017);
        const info = assertOk(
          await rpc(
            server,
            'user.info',
            { id: user.id, projection: { roles: true, permissions: true } },
            admin.auth,
          ),
        )['user'] as { roles: unknown[]; permissions: unknown[] };
        assert.deepEqual(info.roles, []);
        assert.deepEqual(info.permissions, []);
      });
    });

    describe('role.list', () => {
      test('with global read: filters, counts, usersCount and pages; org-scoped readers see their orgs only', async () => {
        const tag = uniqueTag();
        const made: PresentedRole[] = [];
        for (let i = 0; i < 3; i++) made.push(await create({ name: `${tag}-${i}`, permissions: [read] }));
        const user = await actor(server);
        assertOk(await rpc(server, 'user.assignRole', { userId: user.id, roleId: made[1]!.id }, admin.auth));
        const first = assertOk(await rpc(server, 'role.list', { q: tag, limit: 2 }, admin.auth));
        const ids = made.map((r) => r.id).sort();
        assert.deepEqual(
          (first['roles'] as PresentedRole[]).map((r) => r.id),
          ids.slice(0, 2),
        );
        assert.equal(first['rolesCount'], 3);
        const second = assertOk(
          await rpc(server, 'role.list', { q: tag, cursor: first['nextCursor'] }, admin.auth),
        );
        assert.deepEqual(
          (second['roles'] as PresentedRole[]).map((r) => r.id),
          ids.slice(2),
        );
        const all = assertOk(await rpc(server, 'role.list', { q: tag }, admin.auth))[
          'roles'
        ] as PresentedRole[];
        assert.equal(all.find((r) => r.id === made[1]!.id)!.usersCount, 1);
        assert.equal(all.find((r) => r.id === made[0]!.id)!.usersCount, 0);
        const system = assertOk(await rpc(server, 'role.list', { isSystemRole: true }, admin.auth));
        assert.deepEqual(
          (system['roles'] as PresentedRole[]).map((r) => r.name),
          ['admin'],
        );

        const org = await createOrg(server, admin);
        const other = await createOrg(server, admin);
        const mine = await create({ name: uniqueTag(), permissions: [read], scope: org.id });
        await create({ name: uniqueTag(), permissions: [read], scope: other.id });
        const someone = await actor(server);
        assert.equal(assertOk(await rpc(server, 'role.list', {}, someone.auth))['rolesCount'], 0);
        await addMember(server, admin, org.id, someone.id);
        await grant(server, admin, someone.id, 'yeep.role.read', org.id);
        assert.deepEqual(
          (assertOk(await rpc(server, 'role.list', {}, someone.auth))['roles'] as PresentedRole[]).map(
            (r) => r.id,
          ),
          [mine.id],
        );
        assertRpcError(await rpc(server, 'role.list', { scope: other.id }, someone.auth), 10012);
      });
    });

    describe('user.assignRole and user.revokeRole', () => {
      test('a global role grants its permissions (in the token too); 10020 twice; revoke; 10021', async () => {
        const role = await create({ name: uniqueTag(), permissions: [read] });
        const user = await actor(server);
        const target = await actor(server);
        assertRpcError(await rpc(server, 'user.info', { id: target.id }, user.auth), 10012);
        const res = await rpc(server, 'user.assignRole', { userId: user.id, roleId: role.id }, admin.auth);
        assert.deepEqual(assertOk(res)['roleAssignment'], {
          userId: user.id,
          orgId: null,
          roleId: role.id,
          resourceId: null,
        });
        assertOk(await rpc(server, 'user.info', { id: target.id }, user.auth));
        const token = await signIn(server, user.username, user.password, {
          projection: { permissions: true },
        });
        assert.deepEqual((jwtPayload(token)['user'] as { permissions: unknown[] }).permissions, [
          { id: read, name: 'yeep.user.read', isSystemPermission: true, orgId: '', roleId: role.id },
        ]);
        const roles = assertOk(await rpc(server, 'user.info', { projection: { roles: true } }, user.auth))[
          'user'
        ] as {
          roles: unknown[];
        };
        assert.deepEqual(roles.roles, [
          { id: role.id, name: role.name, isSystemRole: false, orgId: '', resourceId: '' },
        ]);
        assertRpcError(
          await rpc(server, 'user.assignRole', { userId: user.id, roleId: role.id }, admin.auth),
          10020,
          `Role ${role.id} already assigned to the designated user`,
        );
        assertOk(await rpc(server, 'user.revokeRole', { userId: user.id, roleId: role.id }, admin.auth));
        assertRpcError(await rpc(server, 'user.info', { id: target.id }, user.auth), 10012);
        assertRpcError(
          await rpc(server, 'user.revokeRole', { userId: user.id, roleId: role.id }, admin.auth),
          10021,
          'Role assignment does not exist',
        );
      });

      test('in an org: members only (10023); a scoped role only there (10019); 10001, 10011, 10017', async () => {
        const org = await createOrg(server, admin);
        const other = await createOrg(server, admin);
        const scoped = await create({ name: uniqueTag(), permissions: [read], scope: org.id });
        const user = await actor(server);
        assertRpcError(
          await rpc(
            server,
            'user.assignRole',
            { userId: user.id, roleId: scoped.id, orgId: org.id },
            admin.auth,
          ),
          10023,
        );
        await addMember(server, admin, org.id, user.id);
        await addMember(server, admin, other.id, user.id);
        const ok = assertOk(
          await rpc(
            server,
            'user.assignRole',
            { userId: user.id, roleId: scoped.id, orgId: org.id, resourceId: 'r1' },
            admin.auth,
          ),
        );
        assert.deepEqual(ok['roleAssignment'], {
          userId: user.id,
          orgId: org.id,
          roleId: scoped.id,
          resourceId: 'r1',
        });
        for (const body of [
          { userId: user.id, roleId: scoped.id },
          { userId: user.id, roleId: scoped.id, orgId: other.id },
        ]) {
          assertRpcError(
            await rpc(server, 'user.assignRole', body, admin.auth),
            10019,
            `Role ${scoped.id} cannot be assigned to the designated org`,
          );
        }
        assertRpcError(
          await rpc(server, 'user.assignRole', { userId: NOBODY, roleId: scoped.id }, admin.auth),
          10001,
        );
        assertRpcError(
          await rpc(
            server,
            'user.assignRole',
            { userId: user.id, roleId: scoped.id, orgId: NOBODY },
            admin.auth,
          ),
          10011,
        );
        assertRpcError(
          await rpc(server, 'user.assignRole', { userId: user.id, roleId: NOBODY }, admin.auth),
          10017,
        );
        assertRpcError(
          await rpc(server, 'user.revokeRole', { userId: NOBODY, roleId: scoped.id }, admin.auth),
          10001,
        );
        assertRpcError(
          await rpc(server, 'user.revokeRole', { userId: user.id, roleId: NOBODY }, admin.auth),
          10017,
        );
        assertRpcError(
          await rpc(
            server,
            'user.revokeRole',
            { userId: user.id, roleId: scoped.id, orgId: NOBODY },
            admin.auth,
          ),
          10011,
        );
        assertOk(
          await rpc(
            server,
            'user.revokeRole',
            { userId: user.id, roleId: scoped.id, orgId: org.id, resourceId: 'r1' },
            admin.auth,
          ),
        );
      });

      test('both need yeep.role.assignment.write in the org or globally', async () => {
        const org = await createOrg(server, admin);
        const role = await create({ name: uniqueTag(), permissions: [read] });
        const manager = await actor(server);
        const user = await actor(server);
        await addMember(server, admin, org.id, manager.id);
        await addMember(server, admin, org.id, user.id);
        const inOrg = { userId: user.id, roleId: role.id, orgId: org.id };
        assertRpcError(await rpc(server, 'user.assignRole', inOrg, manager.auth), 10012);
        await grant(server, admin, manager.id, 'yeep.permission.assignment.write', org.id);
        assertRpcError(await rpc(server, 'user.assignRole', inOrg, manager.auth), 10012);
        await grant(server, admin, manager.id, 'yeep.role.assignment.write', org.id);
        assertOk(await rpc(server, 'user.assignRole', inOrg, manager.auth));
        assertOk(await rpc(server, 'user.revokeRole', inOrg, manager.auth));
        assertRpcError(
          await rpc(server, 'user.assignRole', { userId: user.id, roleId: role.id }, manager.auth),
          10012,
        );
        const stranger = await actor(server);
        assertRpcError(await rpc(server, 'user.revokeRole', inOrg, stranger.auth), 10012);
      });

      test('the admin role in an org makes an org admin there, nowhere else', async () => {
        const org = await createOrg(server, admin);
        const elsewhere = await createOrg(server, admin);
        const boss = await actor(server);
        const member = await actor(server);
        const outsider = await actor(server);
        await addMember(server, admin, org.id, boss.id);
        await addMember(server, admin, org.id, member.id);
        await addMember(server, admin, elsewhere.id, outsider.id);
        assertOk(
          await rpc(
            server,
            'user.assignRole',
            { userId: boss.id, roleId: await adminRoleId(server), orgId: org.id },
            admin.auth,
          ),
        );
        assertOk(
          await rpc(
            server,
            'user.info',
            { id: member.id, projection: { permissions: true, roles: true } },
            boss.auth,
          ),
        );
        assertOk(await rpc(server, 'org.update', { id: org.id, name: 'Boss Org' }, boss.auth));
        assertRpcError(await rpc(server, 'user.info', { id: outsider.id }, boss.auth), 10012);
        assertRpcError(await rpc(server, 'org.update', { id: elsewhere.id, name: 'Nope' }, boss.auth), 10012);
        // Org admins administer their org, not the server.
        const adminApi = await server.inject({ method: 'GET', url: '/admin/keys', headers: boss.auth });
        assert.equal(adminApi.statusCode, 403);
      });
    });
  });
}
