import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ADMIN_ROLE, SYSTEM_PERMISSIONS } from '../../src/identity/system-permissions.js';
import type { EffectivePermission } from '../../src/identity/types.js';
import { newId } from '../../src/shared/ids.js';
import { backends } from '../helpers/backends.js';
import { createApp, type Fixture, newUser, rejection, T0, withStore } from './support.js';

async function systemObjects(f: Fixture, appId: string) {
  const permissions = await f.store.db
    .selectFrom('permissions')
    .selectAll()
    .where('app_id', '=', appId)
    .orderBy('name')
    .execute();
  const roles = await f.store.db.selectFrom('roles').selectAll().where('app_id', '=', appId).execute();
  const links = await f.store.db
    .selectFrom('role_permissions')
    .innerJoin('roles', 'roles.id', 'role_permissions.role_id')
    .select(['role_permissions.role_id', 'role_permissions.permission_id'])
    .where('roles.app_id', '=', appId)
    .execute();
  return { permissions, roles, links };
}

const byName = (a: { name: string }, b: { name: string }) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0);

for (const backend of await backends()) {
  describe(`PermissionRepository on ${backend.name}`, () => {
    test('ensureSystemObjects creates the system permissions and an admin role holding all of them', () =>
      withStore(backend, async (f) => {
        const app = await createApp(f.repos);
        await f.repos.permissions.ensureSystemObjects(app.id, SYSTEM_PERMISSIONS, T0);
        const { permissions, roles, links } = await systemObjects(f, app.id);
        assert.deepEqual(
          permissions.map((p) => p.name),
          [...SYSTEM_PERMISSIONS].sort(),
        );
        for (const p of permissions) {
          assert.equal(p.is_system, 1);
          assert.equal(p.created_at, T0);
        }
        assert.equal(roles.length, 1);
        const admin = roles[0]!;
        assert.equal(admin.name, ADMIN_ROLE);
        assert.equal(admin.is_system, 1);
        assert.deepEqual(links.map((l) => l.permission_id).sort(), permissions.map((p) => p.id).sort());
        assert.ok(links.every((l) => l.role_id === admin.id));
      }));

    test('ensureSystemObjects is idempotent and adds names that appear later', () =>
      withStore(backend, async (f) => {
        const app = await createApp(f.repos);
        await f.repos.permissions.ensureSystemObjects(app.id, ['a.read', 'a.write'], T0);
        const first = await systemObjects(f, app.id);
        await f.repos.permissions.ensureSystemObjects(app.id, ['a.read', 'a.write'], T0 + 1);
        assert.deepEqual(await systemObjects(f, app.id), first, 'a second run changes nothing');

        await f.repos.permissions.ensureSystemObjects(app.id, ['a.read', 'a.write', 'b.read'], T0 + 2);
        const grown = await systemObjects(f, app.id);
        assert.deepEqual(
          grown.permissions.map((p) => p.name),
          ['a.read', 'a.write', 'b.read'],
        );
        assert.deepEqual(grown.roles, first.roles, 'the admin role is kept');
        assert.equal(grown.links.length, 3, 'the new permission is given to admin');
        for (const p of first.permissions) {
          assert.deepEqual(
            grown.permissions.find((g) => g.id === p.id),
            p,
          );
        }
      }));

    test('ensureSystemObjects run concurrently for one app succeeds and creates everything once', () =>
      withStore(
        backend,
        async (f) => {
          for (let round = 0; round < 3; round++) {
            const app = await createApp(f.repos);
            const results = await Promise.allSettled(
              Array.from({ length: 8 }, (_, i) =>
                f.repos.permissions.ensureSystemObjects(app.id, SYSTEM_PERMISSIONS, T0 + i),
              ),
            );
            const failures = results.filter((r) => r.status === 'rejected');
            assert.deepEqual(
              failures.map((r) => String((r as PromiseRejectedResult).reason)),
              [],
              `round ${round}`,
            );
            const { permissions, roles, links } = await systemObjects(f, app.id);
            assert.equal(permissions.length, SYSTEM_PERMISSIONS.length);
            assert.deepEqual(
              roles.map((r) => r.name),
              [ADMIN_ROLE],
            );
            assert.equal(links.length, SYSTEM_PERMISSIONS.length);
          }
        },
        { poolSize: 10 },
      ));

    test('system objects belong to one app', () =>
      withStore(backend, async (f) => {
        const one = await createApp(f.repos);
        const two = await createApp(f.repos);
        await f.repos.permissions.ensureSystemObjects(one.id, ['x.read'], T0);
        assert.equal((await systemObjects(f, two.id)).permissions.length, 0);
        await f.repos.permissions.ensureSystemObjects(two.id, ['x.read', 'y.read'], T0);
        const a = await systemObjects(f, one.id);
        const b = await systemObjects(f, two.id);
        assert.equal(a.permissions.length, 1);
        assert.equal(b.permissions.length, 2);
        assert.notEqual(a.roles[0]!.id, b.roles[0]!.id);
        assert.notEqual(a.permissions[0]!.id, b.permissions.find((p) => p.name === 'x.read')!.id);
      }));

    test('grantRoleByName admin gives every system permission, in the documented shape, sorted and unique', () =>
      withStore(backend, async (f) => {
        const app = await createApp(f.repos);
        await f.repos.permissions.ensureSystemObjects(app.id, SYSTEM_PERMISSIONS, T0);
        const user = await f.repos.users.create(newUser(app.id, { username: 'root1' }), T0);
        assert.deepEqual(await f.repos.permissions.effectivePermissions(app.id, user.id), []);
        await f.repos.permissions.grantRoleByName(app.id, user.id, ADMIN_ROLE, '', T0);
        const { permissions, roles } = await systemObjects(f, app.id);
        const adminId = roles[0]!.id;
        const expected: EffectivePermission[] = [...permissions].sort(byName).map((p) => ({
          id: p.id,
          name: p.name,
          isSystemPermission: true,
          orgId: '',
          resourceId: '',
          roleId: adminId,
        }));
        const effective = await f.repos.permissions.effectivePermissions(app.id, user.id);
        assert.deepEqual(effective, expected);
        for (const p of effective) {
          assert.deepEqual(Object.keys(p).sort(), [
            'id',
            'isSystemPermission',
            'name',
            'orgId',
            'resourceId',
            'roleId',
          ]);
        }
        assert.equal(new Set(effective.map((p) => p.name)).size, SYSTEM_PERMISSIONS.length);
      }));

    test('granting the same role twice is harmless: one grant, the same permissions', () =>
      withStore(backend, async (f) => {
        const app = await createApp(f.repos);
        await f.repos.permissions.ensureSystemObjects(app.id, ['a.read', 'b.read'], T0);
        const user = await f.repos.users.create(newUser(app.id, { username: 'twice' }), T0);
        await f.repos.permissions.grantRoleByName(app.id, user.id, ADMIN_ROLE, '', T0);
        const once = await f.repos.permissions.effectivePermissions(app.id, user.id);
        await f.repos.permissions.grantRoleByName(app.id, user.id, ADMIN_ROLE, '', T0 + 1);
        await Promise.all([
          f.repos.permissions.grantRoleByName(app.id, user.id, ADMIN_ROLE, '', T0 + 2),
          f.repos.permissions.grantRoleByName(app.id, user.id, ADMIN_ROLE, '', T0 + 3),
        ]);
        assert.deepEqual(await f.repos.permissions.effectivePermissions(app.id, user.id), once);
        const grants = await f.store.db
          .selectFrom('role_grants')
          .selectAll()
          .where('user_id', '=', user.id)
          .execute();
        assert.equal(grants.length, 1);
        assert.equal(grants[0]!.created_at, T0, 'the first grant is kept');
      }));

    test('grants in an org are separate from global grants and sort by name, then org', () =>
      withStore(backend, async (f) => {
        const app = await createApp(f.repos);
        await f.repos.permissions.ensureSystemObjects(app.id, ['b.perm', 'a.perm'], T0);
        const user = await f.repos.users.create(newUser(app.id, { username: 'orgy' }), T0);
        await f.repos.permissions.grantRoleByName(app.id, user.id, ADMIN_ROLE, 'org2', T0);
        await f.repos.permissions.grantRoleByName(app.id, user.id, ADMIN_ROLE, '', T0);
        await f.repos.permissions.grantRoleByName(app.id, user.id, ADMIN_ROLE, 'org1', T0);
        const effective = await f.repos.permissions.effectivePermissions(app.id, user.id);
        assert.deepEqual(
          effective.map((p) => `${p.name}@${p.orgId}`),
          ['a.perm@', 'a.perm@org1', 'a.perm@org2', 'b.perm@', 'b.perm@org1', 'b.perm@org2'],
        );
      }));

    test('effectivePermissions merges direct grants and role grants, for this user and app only, in a total order', () =>
      withStore(backend, async (f) => {
        const app = await createApp(f.repos);
        const other = await createApp(f.repos);
        await f.repos.permissions.ensureSystemObjects(app.id, ['sys.read'], T0);
        await f.repos.permissions.ensureSystemObjects(other.id, ['sys.read'], T0);
        const user = await f.repos.users.create(newUser(app.id, { username: 'mixed' }), T0);
        const bystander = await f.repos.users.create(newUser(app.id, { username: 'bystander' }), T0);
        const custom = {
          id: newId(),
          app_id: app.id,
          name: 'custom.do',
          description: null,
          scope_org_id: null,
        };
        await f.store.db
          .insertInto('permissions')
          .values({ ...custom, is_system: 0, created_at: T0, updated_at: T0 })
          .execute();
        const sysRead = (await systemObjects(f, app.id)).permissions.find((p) => p.name === 'sys.read')!;
        for (const [permissionId, orgId, resourceId] of [
          [custom.id, '', ''],
          [custom.id, 'org1', 'res1'],
          [custom.id, 'org1', 'res0'],
          [sysRead.id, '', ''],
        ] as const) {
          await f.store.db
            .insertInto('permission_grants')
            .values({
              id: newId(),
              app_id: app.id,
              user_id: user.id,
              permission_id: permissionId,
              org_id: orgId,
              resource_id: resourceId,
              created_at: T0,
            })
            .execute();
        }
        await f.repos.permissions.grantRoleByName(app.id, user.id, ADMIN_ROLE, '', T0);
        const adminId = (await systemObjects(f, app.id)).roles[0]!.id;
        assert.deepEqual(await f.repos.permissions.effectivePermissions(app.id, user.id), [
          {
            id: custom.id,
            name: 'custom.do',
            isSystemPermission: false,
            orgId: '',
            resourceId: '',
            roleId: '',
          },
          {
            id: custom.id,
            name: 'custom.do',
            isSystemPermission: false,
            orgId: 'org1',
            resourceId: 'res0',
            roleId: '',
          },
          {
            id: custom.id,
            name: 'custom.do',
            isSystemPermission: false,
            orgId: 'org1',
            resourceId: 'res1',
            roleId: '',
          },
          {
            id: sysRead.id,
            name: 'sys.read',
            isSystemPermission: true,
            orgId: '',
            resourceId: '',
            roleId: '',
          },
          {
            id: sysRead.id,
            name: 'sys.read',
            isSystemPermission: true,
            orgId: '',
            resourceId: '',
            roleId: adminId,
          },
        ]);
        assert.deepEqual(await f.repos.permissions.effectivePermissions(app.id, bystander.id), []);
        assert.deepEqual(await f.repos.permissions.effectivePermissions(other.id, user.id), []);
      }));

    test('grantRoleByName of an unknown role fails and grants nothing', () =>
      withStore(backend, async (f) => {
        const app = await createApp(f.repos);
        const other = await createApp(f.repos);
        await f.repos.permissions.ensureSystemObjects(other.id, ['x.read'], T0);
        const user = await f.repos.users.create(newUser(app.id, { username: 'nobody' }), T0);
        await rejection(f.repos.permissions.grantRoleByName(app.id, user.id, 'no-such-role', '', T0));
        // admin exists only in the other app
        await rejection(f.repos.permissions.grantRoleByName(app.id, user.id, ADMIN_ROLE, '', T0));
        assert.deepEqual(await f.repos.permissions.effectivePermissions(app.id, user.id), []);
      }));
  });
}
