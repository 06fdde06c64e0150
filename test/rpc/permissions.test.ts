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
  createOrg,
  grant,
  NOBODY,
  permissionId,
  startIdentityServer,
} from './identity-support.js';
import { assertInvalidBody, assertOk, assertRpcError, jwtPayload, uniqueTag } from './support.js';

interface PresentedPermission {
  id: string;
  name: string;
  description: string | null;
  scope: string | null;
  isSystemPermission: boolean;
  createdAt: string;
  updatedAt: string;
  usersCount?: number;
  rolesCount?: number;
}

for (const backend of await backends()) {
  describe(`rpc permission.* and permission assignments (${backend.name})`, () => {
    let server: TestServer;
    let admin: Actor;
    before(async () => {
      ({ server } = await startIdentityServer(backend));
      admin = await actor(server, { superuser: true });
    });
    after(async () => server.close());

    async function create(body: Record<string, unknown>, by: Actor = admin): Promise<PresentedPermission> {
      return assertOk(await rpc(server, 'permission.create', body, by.auth))[
        'permission'
      ] as PresentedPermission;
    }

    describe('permission.create', () => {
      test('a global permission: the name lowercased, a description, no scope', async () => {
        const name = `Blog.${uniqueTag()}.Write`;
        const now = server.clock.now();
        const p = await create({ name, description: 'Write posts' });
        assert.deepEqual(p, {
          id: p.id,
          name: name.toLowerCase(),
          description: 'Write posts',
          scope: null,
          isSystemPermission: false,
          createdAt: new Date(now).toISOString(),
          updatedAt: new Date(now).toISOString(),
        });
        assert.deepEqual(
          assertOk(await rpc(server, 'permission.info', { id: p.id }, admin.auth))['permission'],
          p,
        );
      });

      test('scoped to an org: needs yeep.permission.write there; 10011 for an unknown org', async () => {
        const org = await createOrg(server, admin);
        const someone = await actor(server);
        const body = { name: `${uniqueTag()}.read`, scope: org.id };
        assertRpcError(await rpc(server, 'permission.create', body, someone.auth), 10012);
        await addMember(server, admin, org.id, someone.id);
        await grant(server, admin, someone.id, 'yeep.permission.write', org.id);
        const p = await create(body, someone);
        assert.equal(p.scope, org.id);
        // Not globally, and not in another org.
        assertRpcError(
          await rpc(server, 'permission.create', { name: `${uniqueTag()}.x` }, someone.auth),
          10012,
        );
        assertRpcError(
          await rpc(server, 'permission.create', { name: `${uniqueTag()}.x`, scope: NOBODY }, admin.auth),
          10011,
        );
      });

      test('10007 for a name in use (any case); 10015 for a reserved name; 400 for a bad one', async () => {
        const name = `${uniqueTag()}.dup`;
        await create({ name });
        assertRpcError(
          await rpc(server, 'permission.create', { name: name.toUpperCase() }, admin.auth),
          10007,
          `Permission "${name}" already exists`,
        );
        for (const reserved of ['yeep.anything', 'YEEP.user.read', 'latchkey.admin2']) {
          assertRpcError(
            await rpc(server, 'permission.create', { name: reserved }, admin.auth),
            10015,
            'Permissions starting with "yeep" are reserved for system use',
          );
        }
        for (const body of [
          { name: 'a' },
          { name: 'has space' },
          { name: 'x'.repeat(65) },
          { name: 'ok.name', description: 'd'.repeat(141) },
        ]) {
          assertInvalidBody(await rpc(server, 'permission.create', body, admin.auth));
        }
      });

      test('10012 without yeep.permission.write', async () => {
        const someone = await actor(server);
        assertRpcError(
          await rpc(server, 'permission.create', { name: `${uniqueTag()}.z` }, someone.auth),
          10012,
        );
      });
    });

    describe('permission.info, permission.update, permission.delete', () => {
      test('info: 10008 (before authorization), then yeep.permission.read in its scope', async () => {
        const org = await createOrg(server, admin);
        const scoped = await create({ name: `${uniqueTag()}.s`, scope: org.id });
        const someone = await actor(server);
        assertRpcError(
          await rpc(server, 'permission.info', { id: NOBODY }, someone.auth),
          10008,
          `Permission ${NOBODY} cannot be found`,
        );
        assertRpcError(await rpc(server, 'permission.info', { id: scoped.id }, someone.auth), 10012);
        await addMember(server, admin, org.id, someone.id);
        await grant(server, admin, someone.id, 'yeep.permission.read', org.id);
        assert.deepEqual(
          assertOk(await rpc(server, 'permission.info', { id: scoped.id }, someone.auth))['permission'],
          scoped,
        );
        // A system permission is global: an org-scoped reader may not read it.
        const system = await permissionId(server, 'yeep.user.read');
        assertRpcError(await rpc(server, 'permission.info', { id: system }, someone.auth), 10012);
        const sys = assertOk(await rpc(server, 'permission.info', { id: system }, admin.auth))[
          'permission'
        ] as PresentedPermission;
        assert.equal(sys.isSystemPermission, true);
        assert.equal(sys.scope, null);
      });

      test('update: renames (lowercased) and describes; 10007, 10015, 10012, 10008, 400', async () => {
        const p = await create({ name: `${uniqueTag()}.old` });
        const taken = await create({ name: `${uniqueTag()}.taken` });
        server.clock.advance(1000);
        const newName = `${uniqueTag()}.NEW`;
        const updated = assertOk(
          await rpc(
            server,
            'permission.update',
            { id: p.id, name: newName, description: 'Now described' },
            admin.auth,
          ),
        )['permission'] as PresentedPermission;
        assert.equal(updated.name, newName.toLowerCase());
        assert.equal(updated.description, 'Now described');
        assert.equal(updated.updatedAt, new Date(server.clock.now()).toISOString());
        assertRpcError(
          await rpc(server, 'permission.update', { id: p.id, name: taken.name }, admin.auth),
          10007,
        );
        assertRpcError(
          await rpc(server, 'permission.update', { id: p.id, name: 'yeep.mine' }, admin.auth),
          10015,
        );
        assertRpcError(
          await rpc(server, 'permission.update', { id: NOBODY, name: 'x.y' }, admin.auth),
          10008,
        );
        const someone = await actor(server);
        assertRpcError(
          await rpc(server, 'permission.update', { id: p.id, description: 'x' }, someone.auth),
          10012,
        );
        const details = assertInvalidBody(await rpc(server, 'permission.update', { id: p.id }, admin.auth));
        assert.equal(details[0]!.type, 'object.missing');
      });

      test('system permissions are immutable: 10009 on update and delete, even for a superuser', async () => {
        for (const name of SYSTEM_PERMISSIONS) {
          const id = await permissionId(server, name);
          assertRpcError(
            await rpc(server, 'permission.update', { id, description: 'mine now' }, admin.auth),
            10009,
            `Permission ${id} is a system permission and thus cannot be updated`,
          );
          assertRpcError(
            await rpc(server, 'permission.delete', { id }, admin.auth),
            10009,
            `Permission ${id} is a system permission and thus cannot be deleted`,
          );
        }
        const read = assertOk(
          await rpc(
            server,
            'permission.info',
            { id: await permissionId(server, 'yeep.user.read') },
            admin.auth,
          ),
        )['permission'] as PresentedPermission;
        assert.equal(read.name, 'yeep.user.read');
      });

      test('delete: the permission and its grants and role links go; 10008 afterwards; 10012', async () => {
        const p = await create({ name: `${uniqueTag()}.gone` });
        const user = await actor(server);
        assertOk(
          await rpc(server, 'user.assignPermission', { userId: user.id, permissionId: p.id }, admin.auth),
        );
        const role = assertOk(
          await rpc(
            server,
            'role.create',
            { name: uniqueTag(), permissions: [p.id, await permissionId(server, 'yeep.org.read')] },
            admin.auth,
          ),
        )['role'] as { id: string; permissions: string[] };
        const someone = await actor(server);
        assertRpcError(await rpc(server, 'permission.delete', { id: p.id }, someone.auth), 10012);
        assertOk(await rpc(server, 'permission.delete', { id: p.id }, admin.auth));
        assertRpcError(await rpc(server, 'permission.info', { id: p.id }, admin.auth), 10008);
        assertRpcError(await rpc(server, 'permission.delete', { id: p.id }, admin.auth), 10008);
        const info = assertOk(
          await rpc(server, 'user.info', { id: user.id, projection: { permissions: true } }, admin.auth),
        )['user'] as { permissions: unknown[] };
        assert.deepEqual(info.permissions, []);
        const after = assertOk(await rpc(server, 'role.info', { id: role.id }, admin.auth))['role'] as {
          permissions: string[];
        };
        assert.deepEqual(after.permissions, [await permissionId(server, 'yeep.org.read')]);
      });
    });

    describe('permission.list', () => {
      test('with global read: everything, filters, counts and pages', async () => {
        const tag = uniqueTag();
        const made: PresentedPermission[] = [];
        for (let i = 0; i < 3; i++) made.push(await create({ name: `${tag}.p${i}` }));
        const user = await actor(server);
        assertOk(
          await rpc(
            server,
            'user.assignPermission',
            { userId: user.id, permissionId: made[0]!.id },
            admin.auth,
          ),
        );
        assertOk(
          await rpc(server, 'role.create', { name: uniqueTag(), permissions: [made[0]!.id] }, admin.auth),
        );
        const first = assertOk(
          await rpc(server, 'permission.list', { q: tag.toUpperCase(), limit: 2 }, admin.auth),
        );
        const ids = made.map((p) => p.id).sort();
        const page1 = first['permissions'] as PresentedPermission[];
        assert.deepEqual(
          page1.map((p) => p.id),
          ids.slice(0, 2),
        );
        assert.equal(first['permissionsCount'], 3);
        const second = assertOk(
          await rpc(server, 'permission.list', { q: tag, limit: 2, cursor: first['nextCursor'] }, admin.auth),
        );
        assert.deepEqual(
          (second['permissions'] as PresentedPermission[]).map((p) => p.id),
          ids.slice(2),
        );
        assert.equal(second['nextCursor'], undefined);
        const all = assertOk(await rpc(server, 'permission.list', { q: tag }, admin.auth))[
          'permissions'
        ] as PresentedPermission[];
        const p0 = all.find((p) => p.id === made[0]!.id)!;
        assert.equal(p0.usersCount, 1);
        assert.equal(p0.rolesCount, 1);
        assert.equal(all.find((p) => p.id === made[1]!.id)!.usersCount, 0);
        const system = assertOk(
          await rpc(server, 'permission.list', { isSystemPermission: true }, admin.auth),
        );
        assert.deepEqual(
          (system['permissions'] as PresentedPermission[]).map((p) => p.name).sort(),
          [...SYSTEM_PERMISSIONS].sort(),
        );
        assert.equal(system['permissionsCount'], SYSTEM_PERMISSIONS.length);
      });

      test('org-scoped readers see the permissions of their orgs only; without read, nothing; 10012 for a foreign scope', async () => {
        const org = await createOrg(server, admin);
        const other = await createOrg(server, admin);
        const mine = await create({ name: `${uniqueTag()}.mine`, scope: org.id });
        await create({ name: `${uniqueTag()}.theirs`, scope: other.id });
        const someone = await actor(server);
        const nothing = assertOk(await rpc(server, 'permission.list', {}, someone.auth));
        assert.deepEqual(nothing['permissions'], []);
        assert.equal(nothing['permissionsCount'], 0);
        await addMember(server, admin, org.id, someone.id);
        await grant(server, admin, someone.id, 'yeep.permission.read', org.id);
        const listed = assertOk(await rpc(server, 'permission.list', {}, someone.auth));
        assert.deepEqual(
          (listed['permissions'] as PresentedPermission[]).map((p) => p.id),
          [mine.id],
        );
        assert.deepEqual(
          (
            assertOk(await rpc(server, 'permission.list', { scope: org.id }, someone.auth))[
              'permissions'
            ] as PresentedPermission[]
          ).map((p) => p.id),
          [mine.id],
        );
        assertRpcError(await rpc(server, 'permission.list', { scope: other.id }, someone.auth), 10012);
      });
    });

    describe('user.assignPermission and user.revokePermission', () => {
      test('a global grant, in the reference shape; it shows in tokens with projection.permissions', async () => {
        const p = await create({ name: `${uniqueTag()}.do` });
        const user = await actor(server);
        const res = await rpc(
          server,
          'user.assignPermission',
          { userId: user.id, permissionId: p.id, resourceId: 'doc-7' },
          admin.auth,
        );
        assert.deepEqual(assertOk(res)['permissionAssignment'], {
          userId: user.id,
          orgId: null,
          permissionId: p.id,
          resourceId: 'doc-7',
        });
        const token = await signIn(server, user.username, user.password, {
          projection: { permissions: true },
        });
        assert.deepEqual((jwtPayload(token)['user'] as { permissions: unknown[] }).permissions, [
          { id: p.id, name: p.name, isSystemPermission: false, orgId: '', roleId: '', resourceId: 'doc-7' },
        ]);
        assertRpcError(
          await rpc(
            server,
            'user.assignPermission',
            { userId: user.id, permissionId: p.id, resourceId: 'doc-7' },
            admin.auth,
          ),
          10010,
          `Permission ${p.id} already assigned to the designated user`,
        );
        // Another resource is another grant.
        assertOk(
          await rpc(
            server,
            'user.assignPermission',
            { userId: user.id, permissionId: p.id, resourceId: 8 },
            admin.auth,
          ),
        );
        assertOk(
          await rpc(
            server,
            'user.revokePermission',
            { userId: user.id, permissionId: p.id, resourceId: 'doc-7' },
            admin.auth,
          ),
        );
        assertRpcError(
          await rpc(
            server,
            'user.revokePermission',
            { userId: user.id, permissionId: p.id, resourceId: 'doc-7' },
            admin.auth,
          ),
          10013,
          'Permission assignment does not exist',
        );
        const left = assertOk(
          await rpc(server, 'user.info', { id: user.id, projection: { permissions: true } }, admin.auth),
        )['user'] as { permissions: Array<{ resourceId: string }> };
        assert.deepEqual(
          left.permissions.map((x) => x.resourceId),
          ['8'],
        );
      });

      test('in an org: a member only (10023); a scoped permission only in its org (10011); 10001, 10011, 10008', async () => {
        const org = await createOrg(server, admin);
        const other = await createOrg(server, admin);
        const scoped = await create({ name: `${uniqueTag()}.org`, scope: org.id });
        const user = await actor(server);
        assertRpcError(
          await rpc(
            server,
            'user.assignPermission',
            { userId: user.id, permissionId: scoped.id, orgId: org.id },
            admin.auth,
          ),
          10023,
          `User "${user.id}" is not a member of org "${org.id}"`,
        );
        await addMember(server, admin, org.id, user.id);
        await addMember(server, admin, other.id, user.id);
        assertOk(
          await rpc(
            server,
            'user.assignPermission',
            { userId: user.id, permissionId: scoped.id, orgId: org.id },
            admin.auth,
          ),
        );
        for (const body of [
          { userId: user.id, permissionId: scoped.id },
          { userId: user.id, permissionId: scoped.id, orgId: other.id },
        ]) {
          assertRpcError(
            await rpc(server, 'user.assignPermission', body, admin.auth),
            10011,
            `Permission ${scoped.id} cannot be assigned to the designated org`,
          );
        }
        assertRpcError(
          await rpc(server, 'user.assignPermission', { userId: NOBODY, permissionId: scoped.id }, admin.auth),
          10001,
        );
        assertRpcError(
          await rpc(
            server,
            'user.assignPermission',
            { userId: user.id, permissionId: scoped.id, orgId: NOBODY },
            admin.auth,
          ),
          10011,
          `Org "${NOBODY}" does not exist`,
        );
        assertRpcError(
          await rpc(server, 'user.assignPermission', { userId: user.id, permissionId: NOBODY }, admin.auth),
          10008,
        );
        assertRpcError(
          await rpc(server, 'user.revokePermission', { userId: NOBODY, permissionId: scoped.id }, admin.auth),
          10001,
        );
        assertRpcError(
          await rpc(server, 'user.revokePermission', { userId: user.id, permissionId: NOBODY }, admin.auth),
          10008,
        );
        assertRpcError(
          await rpc(
            server,
            'user.revokePermission',
            { userId: user.id, permissionId: scoped.id, orgId: NOBODY },
            admin.auth,
          ),
          10011,
        );
      });

      test('both need yeep.permission.assignment.write in the org or globally (revoke too, unlike the reference)', async () => {
        const org = await createOrg(server, admin);
        const p = await create({ name: `${uniqueTag()}.q` });
        const manager = await actor(server);
        const user = await actor(server);
        await addMember(server, admin, org.id, manager.id);
        await addMember(server, admin, org.id, user.id);
        const inOrg = { userId: user.id, permissionId: p.id, orgId: org.id };
        assertRpcError(await rpc(server, 'user.assignPermission', inOrg, manager.auth), 10012);
        // role.assignment.write is not enough for permissions (the reference's revokePermission accepted it).
        await grant(server, admin, manager.id, 'yeep.role.assignment.write', org.id);
        assertRpcError(await rpc(server, 'user.assignPermission', inOrg, manager.auth), 10012);
        assertOk(await rpc(server, 'user.assignPermission', inOrg, admin.auth));
        assertRpcError(await rpc(server, 'user.revokePermission', inOrg, manager.auth), 10012);
        await grant(server, admin, manager.id, 'yeep.permission.assignment.write', org.id);
        assertOk(await rpc(server, 'user.revokePermission', inOrg, manager.auth));
        assertOk(await rpc(server, 'user.assignPermission', inOrg, manager.auth));
        // Their org grant does not reach global grants.
        assertRpcError(
          await rpc(server, 'user.assignPermission', { userId: user.id, permissionId: p.id }, manager.auth),
          10012,
        );
      });

      test('permissions are read from storage on every call: a grant works at once, a revocation too', async () => {
        const someone = await actor(server);
        const target = await actor(server);
        assertRpcError(await rpc(server, 'user.info', { id: target.id }, someone.auth), 10012);
        await grant(server, admin, someone.id, 'yeep.user.read');
        assertOk(await rpc(server, 'user.info', { id: target.id }, someone.auth));
        assertOk(
          await rpc(
            server,
            'user.revokePermission',
            { userId: someone.id, permissionId: await permissionId(server, 'yeep.user.read') },
            admin.auth,
          ),
        );
        assertRpcError(await rpc(server, 'user.info', { id: target.id }, someone.auth), 10012);
      });
    });
  });
}
