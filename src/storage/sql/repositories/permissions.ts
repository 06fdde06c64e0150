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
    await this.db.transaction().execute(async (trx) => {
      const existing = new Set(
        (
          await trx
            .selectFrom('permissions')
            .select('name')
            .where('app_id', '=', appId)
            .where('is_system', '=', 1)
            .execute()
        ).map((r) => r.name),
      );
      const missing = names.filter((n) => !existing.has(n));
      if (missing.length > 0) {
        await trx
          .insertInto('permissions')
          .values(
            missing.map((name) => ({
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
          .execute();
      }
      let role = await trx
        .selectFrom('roles')
        .select('id')
        .where('app_id', '=', appId)
        .where('name', '=', ADMIN_ROLE)
        .executeTakeFirst();
      if (!role) {
        role = { id: newId() };
        await trx
          .insertInto('roles')
          .values({
            id: role.id,
            app_id: appId,
            name: ADMIN_ROLE,
            description: 'Holds every system permission',
            scope_org_id: null,
            is_system: 1,
            created_at: now,
            updated_at: now,
          })
          .execute();
      }
      const roleId = role.id;
      const held = new Set(
        (
          await trx
            .selectFrom('role_permissions')
            .select('permission_id')
            .where('role_id', '=', roleId)
            .execute()
        ).map((r) => r.permission_id),
      );
      const system = await trx
        .selectFrom('permissions')
        .select('id')
        .where('app_id', '=', appId)
        .where('is_system', '=', 1)
        .execute();
      const toLink = system
        .filter((p) => !held.has(p.id))
        .map((p) => ({ role_id: roleId, permission_id: p.id }));
      if (toLink.length > 0) await trx.insertInto('role_permissions').values(toLink).execute();
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
        a.name.localeCompare(b.name) || a.orgId.localeCompare(b.orgId) || a.roleId.localeCompare(b.roleId),
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
