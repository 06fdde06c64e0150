import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { Org } from '../../src/identity/orgs.js';
import { ADMIN_ROLE, SYSTEM_PERMISSIONS } from '../../src/identity/system-permissions.js';
import { newId } from '../../src/shared/ids.js';
import { backends } from '../helpers/backends.js';
import { createApp, type Fixture, newUser, T0, withStore } from './support.js';

async function makeOrg(f: Fixture, appId: string, name: string, slug = name.toLowerCase()): Promise<Org> {
  const org: Org = { id: newId(), appId, name, slug, domain: null, createdAt: T0, updatedAt: T0 };
  await f.repos.orgs.create(org);
  return org;
}

async function setup(f: Fixture) {
  const app = await createApp(f.repos);
  await f.repos.permissions.ensureSystemObjects(app.id, SYSTEM_PERMISSIONS, T0);
  const user = await f.repos.users.create(newUser(app.id, { username: `u${newId().slice(0, 8)}` }), T0);
  const perms = await f.store.db
    .selectFrom('permissions')
    .select(['id', 'name'])
    .where('app_id', '=', app.id)
    .execute();
  const id = (name: string) => perms.find((p) => p.name === name)!.id;
  return { app, user, id };
}

for (const backend of await backends()) {
  describe(`OrgDirectory on ${backend.name}`, () => {
    test('search: name or slug prefix (case-insensitive, wildcards literal), scopes, members, count and pages', () =>
      withStore(backend, async (f) => {
        const { app, user } = await setup(f);
        const acme = await makeOrg(f, app.id, 'Acme Corp', 'acme');
        const beta = await makeOrg(f, app.id, 'Beta', 'acme-beta');
        const gamma = await makeOrg(f, app.id, '50%_off', 'gamma');
        const all = { scopes: 'all' as const, now: T0 };
        const ids = (orgs: Org[]) => orgs.map((o) => o.id);
        const sorted = (...orgs: Org[]) => orgs.map((o) => o.id).sort();
        assert.deepEqual(
          ids(await f.repos.orgDirectory.search(app.id, { ...all, limit: 10 })),
          sorted(acme, beta, gamma),
        );
        assert.deepEqual(
          ids(await f.repos.orgDirectory.search(app.id, { ...all, q: 'ACME', limit: 10 })),
          sorted(acme, beta),
        );
        assert.deepEqual(ids(await f.repos.orgDirectory.search(app.id, { ...all, q: 'bet', limit: 10 })), [
          beta.id,
        ]);
        assert.deepEqual(ids(await f.repos.orgDirectory.search(app.id, { ...all, q: '50%_', limit: 10 })), [
          gamma.id,
        ]);
        assert.deepEqual(await f.repos.orgDirectory.search(app.id, { ...all, q: '5%', limit: 10 }), []);
        assert.equal(await f.repos.orgDirectory.count(app.id, { ...all, q: 'acme' }), 2);
        assert.deepEqual(
          ids(await f.repos.orgDirectory.search(app.id, { scopes: [beta.id], now: T0, limit: 10 })),
          [beta.id],
        );
        assert.deepEqual(await f.repos.orgDirectory.search(app.id, { scopes: [], now: T0, limit: 10 }), []);
        assert.equal(await f.repos.orgDirectory.count(app.id, { scopes: [], now: T0 }), 0);
        await f.repos.orgDirectory.join({
          appId: app.id,
          orgId: gamma.id,
          userId: user.id,
          now: T0,
          expiresAt: null,
          permissions: [],
          roles: [],
        });
        await f.repos.orgDirectory.join({
          appId: app.id,
          orgId: acme.id,
          userId: user.id,
          now: T0,
          expiresAt: T0 + 10,
          permissions: [],
          roles: [],
        });
        assert.deepEqual(
          ids(await f.repos.orgDirectory.search(app.id, { ...all, memberId: user.id, limit: 10 })),
          sorted(acme, gamma),
        );
        assert.deepEqual(
          ids(
            await f.repos.orgDirectory.search(app.id, {
              scopes: 'all',
              now: T0 + 10,
              memberId: user.id,
              limit: 10,
            }),
          ),
          [gamma.id],
          'an expired membership does not count',
        );
        const page1 = await f.repos.orgDirectory.search(app.id, { ...all, limit: 2 });
        const page2 = await f.repos.orgDirectory.search(app.id, {
          ...all,
          limit: 2,
          afterId: page1.at(-1)!.id,
        });
        assert.deepEqual([...ids(page1), ...ids(page2)], sorted(acme, beta, gamma));
        // Another app's orgs are never found.
        const other = await createApp(f.repos);
        assert.deepEqual(await f.repos.orgDirectory.search(other.id, { ...all, limit: 10 }), []);
      }));

    test('join with grants is one transaction; a live member cannot join again, an expired one starts afresh', () =>
      withStore(backend, async (f) => {
        const { app, user, id } = await setup(f);
        const org = await makeOrg(f, app.id, 'Org');
        const adminRole = await f.store.db
          .selectFrom('roles')
          .select('id')
          .where('app_id', '=', app.id)
          .where('name', '=', ADMIN_ROLE)
          .executeTakeFirstOrThrow();
        const joined = await f.repos.orgDirectory.join({
          appId: app.id,
          orgId: org.id,
          userId: user.id,
          now: T0,
          expiresAt: T0 + 1000,
          permissions: [{ id: id('yeep.user.read'), resourceId: 'r' }],
          roles: [{ id: adminRole.id, resourceId: '' }],
        });
        assert.equal(joined, true);
        assert.deepEqual(await f.repos.orgDirectory.membership(org.id, user.id), {
          orgId: org.id,
          userId: user.id,
          createdAt: T0,
          expiresAt: T0 + 1000,
        });
        const before = await f.repos.permissions.effectivePermissions(app.id, user.id, T0);
        assert.ok(
          before.some((p) => p.name === 'yeep.user.read' && p.orgId === org.id && p.resourceId === 'r'),
        );
        assert.ok(before.some((p) => p.roleId === adminRole.id && p.orgId === org.id));
        assert.equal(
          await f.repos.orgDirectory.join({
            appId: app.id,
            orgId: org.id,
            userId: user.id,
            now: T0,
            expiresAt: null,
            permissions: [],
            roles: [],
          }),
          false,
        );
        assert.deepEqual((await f.repos.orgDirectory.liveMemberships([user.id], T0 + 999)).get(user.id), [
          { orgId: org.id, expiresAt: T0 + 1000 },
        ]);
        assert.deepEqual((await f.repos.orgDirectory.liveMemberships([user.id], T0 + 1000)).get(user.id), []);
        // Expired: its grants stop counting, and joining again replaces it without them.
        assert.deepEqual(await f.repos.permissions.effectivePermissions(app.id, user.id, T0 + 1000), []);
        assert.deepEqual((await f.repos.orgDirectory.liveOrgIds([user.id], T0 + 1000)).get(user.id), []);
        assert.equal(
          await f.repos.orgDirectory.join({
            appId: app.id,
            orgId: org.id,
            userId: user.id,
            now: T0 + 1000,
            expiresAt: null,
            permissions: [],
            roles: [],
          }),
          true,
        );
        assert.deepEqual(await f.repos.permissions.effectivePermissions(app.id, user.id, T0 + 2000), []);
        assert.deepEqual((await f.repos.orgDirectory.liveOrgIds([user.id], T0 + 5000)).get(user.id), [
          org.id,
        ]);
      }));

    test('concurrent joins of one user: exactly one succeeds', () =>
      withStore(
        backend,
        async (f) => {
          const { app, user } = await setup(f);
          const org = await makeOrg(f, app.id, 'Race');
          const results = await Promise.all(
            Array.from({ length: 6 }, () =>
              f.repos.orgDirectory.join({
                appId: app.id,
                orgId: org.id,
                userId: user.id,
                now: T0,
                expiresAt: null,
                permissions: [],
                roles: [],
              }),
            ),
          );
          assert.equal(results.filter(Boolean).length, 1);
        },
        { poolSize: 6 },
      ));

    test('leave ends the membership and removes the grants made in that org only', () =>
      withStore(backend, async (f) => {
        const { app, user, id } = await setup(f);
        const a = await makeOrg(f, app.id, 'Org A');
        const b = await makeOrg(f, app.id, 'Org B');
        for (const org of [a, b]) {
          await f.repos.orgDirectory.join({
            appId: app.id,
            orgId: org.id,
            userId: user.id,
            now: T0,
            expiresAt: null,
            permissions: [{ id: id('yeep.org.read'), resourceId: '' }],
            roles: [],
          });
        }
        await f.repos.permissions.grantPermission(
          app.id,
          id('yeep.user.read'),
          { userId: user.id, orgId: '', resourceId: '' },
          T0,
        );
        assert.equal(await f.repos.orgDirectory.leave(app.id, a.id, user.id), true);
        assert.equal(await f.repos.orgDirectory.leave(app.id, a.id, user.id), false);
        const left = await f.repos.permissions.effectivePermissions(app.id, user.id, T0);
        assert.deepEqual(
          left.map((p) => `${p.name}@${p.orgId}`),
          [`yeep.org.read@${b.id}`, 'yeep.user.read@'],
        );
        assert.deepEqual((await f.repos.orgDirectory.liveOrgIds([user.id, newId()], T0)).get(user.id), [
          b.id,
        ]);
      }));

    test('deleteOrg removes the org, its memberships, its grants and its scoped permissions and roles', () =>
      withStore(backend, async (f) => {
        const { app, user, id } = await setup(f);
        const org = await makeOrg(f, app.id, 'Doomed');
        const keep = await makeOrg(f, app.id, 'Kept');
        const scoped = {
          id: newId(),
          appId: app.id,
          name: 'doomed.x',
          description: null,
          scopeOrgId: org.id,
          isSystem: false,
          createdAt: T0,
          updatedAt: T0,
        };
        await f.repos.permissions.createPermission(scoped);
        await f.repos.permissions.createRole({
          id: newId(),
          appId: app.id,
          name: 'doomed-role',
          description: null,
          scopeOrgId: org.id,
          isSystem: false,
          permissionIds: [scoped.id],
          createdAt: T0,
          updatedAt: T0,
        });
        for (const o of [org, keep]) {
          await f.repos.orgDirectory.join({
            appId: app.id,
            orgId: o.id,
            userId: user.id,
            now: T0,
            expiresAt: null,
            permissions: [{ id: id('yeep.org.read'), resourceId: '' }],
            roles: [],
          });
        }
        assert.equal(await f.repos.orgDirectory.deleteOrg(app.id, org.id), true);
        assert.equal(await f.repos.orgDirectory.deleteOrg(app.id, org.id), false);
        assert.equal(await f.repos.orgs.findById(app.id, org.id), null);
        assert.equal(await f.repos.permissions.findPermission(app.id, scoped.id), null);
        assert.equal(await f.repos.permissions.countRoles(app.id, { scopes: 'all', scope: org.id }), 0);
        assert.deepEqual(
          (await f.repos.permissions.effectivePermissions(app.id, user.id, T0)).map((p) => p.orgId),
          [keep.id],
        );
        assert.equal(await f.repos.orgDirectory.membership(org.id, user.id), null);
      }));
  });
}
