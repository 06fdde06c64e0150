import type { Kysely } from 'kysely';
import type { PermissionRepository } from '../../../identity/ports.js';
import { ADMIN_ROLE } from '../../../identity/system-permissions.js';
import type { EffectivePermission } from '../../../identity/types.js';
import { newId } from '../../../shared/ids.js';
import { isUniqueViolation } from '../database.js';
import type { Database } from '../schema.js';

export class SqlPermissionRepository implements PermissionRepository {
  constructor(private readonly db: Kysely<Database>) {}

  async ensureSystemObjects(appId: string, names: readonly string[], now: number): Promise<void> {
    // Every node runs this at start-up, so it must tolerate running concurrently with
    // itself. A read-then-insert loses that race on PostgreSQL (both readers see nothing
    // and the slower insert breaks the unique index), so each insert skips rows another
    // transaction created; PostgreSQL makes the skipping insert wait for that transaction
    // and each later statement sees what it committed. Inserting in one sorted order keeps
    // two concurrent runs from locking each other's rows in opposite orders.
    const wanted = [...new Set(names)].sort();
    await this.db.transaction().execute(async (trx) => {
      if (wanted.length > 0) {
        await trx
          .insertInto('permissions')
          .values(
            wanted.map((name) => ({
              id: newId(),
              app_id: appId,
              name,
              description: null,
              scope_org_id: null,
              is_system: 1,
              created_at: now,
              updated_at: now,
            })),
          )
          .onConflict((oc) => oc.columns(['app_id', 'name']).doNothing())
          .execute();
      }
      await trx
        .insertInto('roles')
        .values({
          id: newId(),
          app_id: appId,
          name: ADMIN_ROLE,
          description: 'Holds every system permission',
          scope_org_id: null,
          is_system: 1,
          created_at: now,
          updated_at: now,
        })
        .onConflict((oc) => oc.columns(['app_id', 'name']).doNothing())
        .execute();
      const role = await trx
        .selectFrom('roles')
        .select('id')
        .where('app_id', '=', appId)
        .where('name', '=', ADMIN_ROLE)
        .executeTakeFirstOrThrow();
      const system = await trx
        .selectFrom('permissions')
        .select('id')
        .where('app_id', '=', appId)
        .where('is_system', '=', 1)
        .orderBy('id')
        .execute();
      if (system.length > 0) {
        await trx
          .insertInto('role_permissions')
          .values(system.map((p) => ({ role_id: role.id, permission_id: p.id })))
          .onConflict((oc) => oc.columns(['role_id', 'permission_id']).doNothing())
          .execute();
      }
    });
  }

  async effectivePermissions(appId: string, userId: string): Promise<EffectivePermission[]> {
    const direct = await this.db
      .selectFrom('permission_grants as g')
      .innerJoin('permissions as p', 'p.id', 'g.permission_id')
      .select(['p.id', 'p.name', 'p.is_system', 'g.org_id', 'g.resource_id'])
      .where('g.app_id', '=', appId)
      .where('g.user_id', '=', userId)
      .execute();
    const viaRoles = await this.db
      .selectFrom('role_grants as g')
      .innerJoin('role_permissions as rp', 'rp.role_id', 'g.role_id')
      .innerJoin('permissions as p', 'p.id', 'rp.permission_id')
      .select(['p.id', 'p.name', 'p.is_system', 'g.org_id', 'g.resource_id', 'g.role_id'])
      .where('g.app_id', '=', appId)
      .where('g.user_id', '=', userId)
      .execute();
    const out = new Map<string, EffectivePermission>();
    for (const r of direct) {
      const p = {
        id: r.id,
        name: r.name,
        isSystemPermission: r.is_system === 1,
        orgId: r.org_id,
        resourceId: r.resource_id,
        roleId: '',
      };
      out.set(`${p.id}|${p.orgId}|${p.resourceId}|`, p);
    }
    for (const r of viaRoles) {
      const p = {
        id: r.id,
        name: r.name,
        isSystemPermission: r.is_system === 1,
        orgId: r.org_id,
        resourceId: r.resource_id,
        roleId: r.role_id,
      };
      out.set(`${p.id}|${p.orgId}|${p.resourceId}|${p.roleId}`, p);
    }
    // Sorted and deduplicated, as the reference's token projection is.
    return [...out.values()].sort(
      (a, b) =>
        a.name.localeCompare(b.name) ||
        a.orgId.localeCompare(b.orgId) ||
        a.roleId.localeCompare(b.roleId) ||
        // Without this the order of one permission on several resources was whatever the store returned.
        a.resourceId.localeCompare(b.resourceId),
    );
  }

  async grantRoleByName(
    appId: string,
    userId: string,
    roleName: string,
    orgId: string,
    now: number,
  ): Promise<void> {
    const role = await this.db
      .selectFrom('roles')
      .select('id')
      .where('app_id', '=', appId)
      .where('name', '=', roleName)
      .executeTakeFirstOrThrow();
    try {
      await this.db
        .insertInto('role_grants')
        .values({
          id: newId(),
          app_id: appId,
          user_id: userId,
          role_id: role.id,
          org_id: orgId,
          resource_id: '',
          created_at: now,
        })
        .execute();
    } catch (err) {
      if (!isUniqueViolation(err)) throw err; // already granted: nothing to do
    }
  }
}
