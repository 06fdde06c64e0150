import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { PermissionRecord, RoleRecord } from '../../src/identity/access-ports.js';
import { SYSTEM_PERMISSIONS } from '../../src/identity/system-permissions.js';
import { isLatchkeyError } from '../../src/shared/errors.js';
import { newId } from '../../src/shared/ids.js';
import { backends } from '../helpers/backends.js';
import { createApp, type Fixture, newUser, rejection, T0, withStore } from './support.js';

function permission(
  appId: string,
  name: string,
  overrides: Partial<PermissionRecord> = {},
): PermissionRecord {
  return {
    id: newId(),
    appId,
    name,
    description: null,
    scopeOrgId: null,
    isSystem: false,
    createdAt: T0,
    updatedAt: T0,
    ...overrides,
  };
}

function role(
  appId: string,
  name: string,
  permissionIds: string[],
  overrides: Partial<RoleRecord> = {},
): RoleRecord {
  return {
    id: newId(),
    appId,
    name,
    description: null,
    scopeOrgId: null,
    isSystem: false,
    permissionIds: [...permissionIds].sort(),
    createdAt: T0,
    updatedAt: T0,
    ...overrides,
  };
}

async function setup(f: Fixture) {
  const app = await createApp(f.repos);
  await f.repos.permissions.ensureSystemObjects(app.id, SYSTEM_PERMISSIONS, T0);
  const user = await f.repos.users.create(newUser(app.id, { username: `u${newId().slice(0, 8)}` }), T0);
  return { app, user, repo: f.repos.permissions };
}

const codeOf = (err: unknown) => (isLatchkeyError(err) ? err.code : String(err));

for (const backend of await backends()) {
  describe(`AccessRepository (permissions, roles, grants) on ${backend.name}`, () => {
    test('permissions: create, find, update, delete; names unique per app; system ones never change', () =>
      withStore(backend, async (f) => {
        const { app, repo } = await setup(f);
        const p = permission(app.id, 'blog.write', { description: 'Write', scopeOrgId: 'o'.repeat(24) });
        await repo.createPermission(p);
        assert.deepEqual(await repo.findPermission(app.id, p.id), p);
        assert.equal(await repo.findPermission((await createApp(f.repos)).id, p.id), null);
        assert.equal(
          codeOf(await rejection(repo.createPermission(permission(app.id, 'blog.write')))),
          'duplicate_permission',
        );
        const updated = await repo.updatePermission(
          app.id,
          p.id,
          { name: 'blog.edit', description: null },
          T0 + 5,
        );
        assert.deepEqual(updated, { ...p, name: 'blog.edit', description: null, updatedAt: T0 + 5 });
        const other = permission(app.id, 'blog.read');
        await repo.createPermission(other);
        assert.equal(
          codeOf(await rejection(repo.updatePermission(app.id, other.id, { name: 'blog.edit' }, T0))),
          'duplicate_permission',
        );
        const system = (
          await repo.listPermissions(app.id, { scopes: 'all', isSystem: true, limit: 100 })
        )[0]!;
        await repo.updatePermission(app.id, system.id, { name: 'hijacked' }, T0 + 9);
        assert.equal((await repo.findPermission(app.id, system.id))!.name, system.name);
        assert.equal(await repo.deletePermission(app.id, system.id), false);
        assert.equal(await repo.deletePermission(app.id, p.id), true);
        assert.equal(await repo.deletePermission(app.id, p.id), false);
        assert.deepEqual(
          (await repo.findPermissions(app.id, [p.id, other.id, system.id])).map((x) => x.id).sort(),
          [other.id, system.id].sort(),
        );
      }));

    test('listPermissions / countPermissions: prefix, scopes, exact scope, system flag, counts of users and roles, pages', () =>
      withStore(backend, async (f) => {
        const { app, user, repo } = await setup(f);
        const orgA = 'a'.repeat(24);
        const orgB = 'b'.repeat(24);
        const g = permission(app.id, 'docs.read');
        const a = permission(app.id, 'docs.write', { scopeOrgId: orgA });
        const b = permission(app.id, 'docs_%', { scopeOrgId: orgB });
        for (const p of [g, a, b]) await repo.createPermission(p);
        await repo.createRole(role(app.id, 'reader', [g.id]));
        await repo.grantPermission(app.id, g.id, { userId: user.id, orgId: '', resourceId: '' }, T0);
        await repo.grantPermission(app.id, g.id, { userId: user.id, orgId: orgA, resourceId: 'x' }, T0);
        const names = (list: PermissionRecord[]) => list.map((p) => p.name).sort();
        const all = await repo.listPermissions(app.id, { scopes: 'all', q: 'docs', limit: 10 });
        assert.deepEqual(names(all), ['docs.read', 'docs.write', 'docs_%']);
        const gRow = all.find((p) => p.id === g.id)!;
        assert.equal(gRow.usersCount, 1, 'distinct users');
        assert.equal(gRow.rolesCount, 1);
        assert.deepEqual(
          names(await repo.listPermissions(app.id, { scopes: 'all', q: 'docs_', limit: 10 })),
          ['docs_%'],
        );
        assert.deepEqual(names(await repo.listPermissions(app.id, { scopes: [orgA], limit: 10 })), [
          'docs.write',
        ]);
        assert.deepEqual(await repo.listPermissions(app.id, { scopes: [], limit: 10 }), []);
        assert.deepEqual(
          names(await repo.listPermissions(app.id, { scopes: 'all', scope: orgB, limit: 10 })),
          ['docs_%'],
        );
        assert.equal(await repo.countPermissions(app.id, { scopes: 'all', scope: null, isSystem: false }), 1);
        assert.equal(
          await repo.countPermissions(app.id, { scopes: 'all', isSystem: true }),
          SYSTEM_PERMISSIONS.length,
        );
        assert.equal(await repo.countPermissions(app.id, { scopes: [] }), 0);
        const page1 = await repo.listPermissions(app.id, { scopes: 'all', q: 'docs', limit: 2 });
        const page2 = await repo.listPermissions(app.id, {
          scopes: 'all',
          q: 'docs',
          limit: 2,
          afterId: page1.at(-1)!.id,
        });
        assert.deepEqual(
          [...page1, ...page2].map((p) => p.id),
          [g.id, a.id, b.id].sort(),
        );
      }));

    test('roles: create with permissions, find, update (permissions replaced), delete; admin never changes; cascades', () =>
      withStore(backend, async (f) => {
        const { app, user, repo } = await setup(f);
        const p1 = permission(app.id, 'p.one');
        const p2 = permission(app.id, 'p.two');
        await repo.createPermission(p1);
        await repo.createPermission(p2);
        const r = role(app.id, 'editor', [p1.id, p2.id], { description: 'Edits' });
        await repo.createRole(r);
        assert.deepEqual(await repo.findRole(app.id, r.id), r);
        assert.equal(
          codeOf(await rejection(repo.createRole(role(app.id, 'editor', [p1.id])))),
          'duplicate_role',
        );
        assert.equal(await repo.findRole(app.id, newId()), null, 'a failed create leaves nothing');
        const updated = await repo.updateRole(
          app.id,
          r.id,
          { name: 'writer', permissionIds: [p2.id] },
          T0 + 3,
        );
        assert.deepEqual(updated, { ...r, name: 'writer', permissionIds: [p2.id], updatedAt: T0 + 3 });
        await repo.grantRole(app.id, r.id, { userId: user.id, orgId: '', resourceId: '' }, T0);
        assert.equal(await repo.deletePermission(app.id, p2.id), true);
        assert.deepEqual((await repo.findRole(app.id, r.id))!.permissionIds, []);
        const admin = (await repo.listRoles(app.id, { scopes: 'all', isSystem: true, limit: 10 }))[0]!;
        await repo.updateRole(app.id, admin.id, { name: 'root', permissionIds: [] }, T0);
        const unchanged = await repo.findRole(app.id, admin.id);
        assert.equal(unchanged!.name, 'admin');
        assert.equal(unchanged!.permissionIds.length, SYSTEM_PERMISSIONS.length);
        assert.equal(await repo.deleteRole(app.id, admin.id), false);
        assert.equal(await repo.deleteRole(app.id, r.id), true);
        assert.deepEqual(await repo.heldRoles(app.id, user.id, T0), [], 'grants go with the role');
      }));

    test('listRoles / countRoles: filters, usersCount, permissions', () =>
      withStore(backend, async (f) => {
        const { app, user, repo } = await setup(f);
        const p = permission(app.id, 'p.x');
        await repo.createPermission(p);
        const r1 = role(app.id, 'team:lead', [p.id]);
        const r2 = role(app.id, 'team:member', [p.id], { scopeOrgId: 'c'.repeat(24) });
        await repo.createRole(r1);
        await repo.createRole(r2);
        await repo.grantRole(app.id, r1.id, { userId: user.id, orgId: '', resourceId: '' }, T0);
        await repo.grantRole(app.id, r1.id, { userId: user.id, orgId: 'c'.repeat(24), resourceId: '' }, T0);
        const listed = await repo.listRoles(app.id, { scopes: 'all', q: 'TEAM:', limit: 10 });
        assert.deepEqual(listed.map((r) => r.name).sort(), ['team:lead', 'team:member']);
        assert.equal(listed.find((r) => r.id === r1.id)!.usersCount, 1);
        assert.deepEqual(listed.find((r) => r.id === r1.id)!.permissionIds, [p.id]);
        assert.deepEqual(
          (await repo.listRoles(app.id, { scopes: ['c'.repeat(24)], limit: 10 })).map((r) => r.id),
          [r2.id],
        );
        assert.equal(await repo.countRoles(app.id, { scopes: 'all', isSystem: false }), 2);
        assert.equal(await repo.countRoles(app.id, { scopes: 'all', scope: null }), 2, 'admin and team:lead');
      }));

    test('grants: duplicates and missing grants are reported, never errors; concurrent grants make one row', () =>
      withStore(
        backend,
        async (f) => {
          const { app, user, repo } = await setup(f);
          const p = permission(app.id, 'g.one');
          await repo.createPermission(p);
          const r = role(app.id, 'g-role', [p.id]);
          await repo.createRole(r);
          const global = { userId: user.id, orgId: '', resourceId: '' };
          const onResource = { userId: user.id, orgId: 'd'.repeat(24), resourceId: 'res' };
          assert.equal(await repo.grantPermission(app.id, p.id, global, T0), true);
          assert.equal(await repo.grantPermission(app.id, p.id, global, T0), false);
          assert.equal(await repo.grantPermission(app.id, p.id, onResource, T0), true);
          assert.equal(await repo.revokePermission(app.id, p.id, onResource), true);
          assert.equal(await repo.revokePermission(app.id, p.id, onResource), false);
          const results = await Promise.all(
            Array.from({ length: 6 }, () => repo.grantRole(app.id, r.id, onResource, T0)),
          );
          assert.equal(results.filter(Boolean).length, 1);
          assert.deepEqual(await repo.heldRoles(app.id, user.id, T0), [
            { id: r.id, name: 'g-role', isSystemRole: false, orgId: 'd'.repeat(24), resourceId: 'res' },
          ]);
          assert.equal(await repo.revokeRole(app.id, r.id, onResource), true);
          assert.equal(await repo.revokeRole(app.id, r.id, onResource), false);
        },
        { poolSize: 6 },
      ));
  });
}
