import { type Kysely, type RawBuilder, sql } from 'kysely';
import type {
  AccessRepository,
  CatalogQuery,
  GrantScope,
  HeldRole,
  Page,
  PermissionRecord,
  RoleRecord,
} from '../../../identity/access-ports.js';
import type { PermissionRepository } from '../../../identity/ports.js';
import { ADMIN_ROLE } from '../../../identity/system-permissions.js';
import type { EffectivePermission } from '../../../identity/types.js';
import { LatchkeyError } from '../../../shared/errors.js';
import { newId } from '../../../shared/ids.js';
import { isUniqueViolation } from '../database.js';
import type { Database, PermissionsTable, RolesTable } from '../schema.js';
import { prefixPattern } from './org-directory.js';

/**
 * A grant counts unless it was made in an org whose membership has expired: grants are
 * made in an org only for its members (org.addMember, assignments), so an expired
 * membership is the one thing that can leave a grant behind.
 */
function liveGrant(now: number | undefined): RawBuilder<boolean> {
  if (now === undefined) return sql<boolean>`1 = 1`;
  return sql<boolean>`(g.org_id = '' or not exists (select 1 from org_memberships m where m.org_id = g.org_id and m.user_id = g.user_id and m.expires_at is not null and m.expires_at <= ${now}))`;
}

function toPermission(row: PermissionsTable): PermissionRecord {
  return {
    id: row.id,
    appId: row.app_id,
    name: row.name,
    description: row.description,
    scopeOrgId: row.scope_org_id,
    isSystem: row.is_system === 1,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

function toRole(row: RolesTable, permissionIds: string[]): RoleRecord {
  return {
    id: row.id,
    appId: row.app_id,
    name: row.name,
    description: row.description,
    scopeOrgId: row.scope_org_id,
    isSystem: row.is_system === 1,
    permissionIds,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

export class SqlPermissionRepository implements PermissionRepository, AccessRepository {
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

  /**
   * Every permission a user holds, directly or through roles, globally or per org. With
   * `now`, grants made in an org whose membership has expired by then are left out.
   */
  async effectivePermissions(appId: string, userId: string, now?: number): Promise<EffectivePermission[]> {
    const direct = await this.db
      .selectFrom('permission_grants as g')
      .innerJoin('permissions as p', 'p.id', 'g.permission_id')
      .select(['p.id', 'p.name', 'p.is_system', 'g.org_id', 'g.resource_id'])
      .where('g.app_id', '=', appId)
      .where('g.user_id', '=', userId)
      .where(liveGrant(now))
      .execute();
    const viaRoles = await this.db
      .selectFrom('role_grants as g')
      .innerJoin('role_permissions as rp', 'rp.role_id', 'g.role_id')
      .innerJoin('permissions as p', 'p.id', 'rp.permission_id')
      .select(['p.id', 'p.name', 'p.is_system', 'g.org_id', 'g.resource_id', 'g.role_id'])
      .where('g.app_id', '=', appId)
      .where('g.user_id', '=', userId)
      .where(liveGrant(now))
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
  // ------------------------------------------------------------------ permissions

  async createPermission(p: PermissionRecord): Promise<void> {
    try {
      await this.db
        .insertInto('permissions')
        .values({
          id: p.id,
          app_id: p.appId,
          name: p.name,
          description: p.description,
          scope_org_id: p.scopeOrgId,
          is_system: p.isSystem ? 1 : 0,
          created_at: p.createdAt,
          updated_at: p.updatedAt,
        })
        .execute();
    } catch (err) {
      if (isUniqueViolation(err))
        throw new LatchkeyError('duplicate_permission', `Permission "${p.name}" already exists`);
      throw err;
    }
  }

  async findPermission(appId: string, id: string): Promise<PermissionRecord | null> {
    const row = await this.db
      .selectFrom('permissions')
      .selectAll()
      .where('app_id', '=', appId)
      .where('id', '=', id)
      .executeTakeFirst();
    return row ? toPermission(row) : null;
  }

  async findPermissions(appId: string, ids: readonly string[]): Promise<PermissionRecord[]> {
    if (ids.length === 0) return [];
    const rows = await this.db
      .selectFrom('permissions')
      .selectAll()
      .where('app_id', '=', appId)
      .where('id', 'in', [...ids])
      .execute();
    return rows.map(toPermission);
  }

  async updatePermission(
    appId: string,
    id: string,
    patch: { name?: string; description?: string | null },
    now: number,
  ): Promise<PermissionRecord | null> {
    const values: Partial<PermissionsTable> = { updated_at: now };
    if (patch.name !== undefined) values.name = patch.name;
    if (patch.description !== undefined) values.description = patch.description;
    try {
      await this.db
        .updateTable('permissions')
        .set(values)
        .where('app_id', '=', appId)
        .where('id', '=', id)
        // System permissions never change, whoever asks.
        .where('is_system', '=', 0)
        .execute();
    } catch (err) {
      if (isUniqueViolation(err))
        throw new LatchkeyError('duplicate_permission', `Permission "${patch.name}" already exists`);
      throw err;
    }
    return this.findPermission(appId, id);
  }

  async deletePermission(appId: string, id: string): Promise<boolean> {
    // Grants and role links go with it (ON DELETE CASCADE).
    const result = await this.db
      .deleteFrom('permissions')
      .where('app_id', '=', appId)
      .where('id', '=', id)
      .where('is_system', '=', 0)
      .executeTakeFirst();
    return Number(result.numDeletedRows) > 0;
  }

  private catalog<T extends 'permissions' | 'roles'>(table: T, appId: string, query: CatalogQuery) {
    let q = this.db.selectFrom(table as 'permissions').where('app_id', '=', appId);
    if (query.scopes !== 'all') q = q.where('scope_org_id', 'in', [...query.scopes]);
    if (query.scope !== undefined)
      q =
        query.scope === null
          ? q.where('scope_org_id', 'is', null)
          : q.where('scope_org_id', '=', query.scope);
    if (query.isSystem !== undefined) q = q.where('is_system', '=', query.isSystem ? 1 : 0);
    if (query.q) q = q.where(sql<boolean>`name like ${prefixPattern(query.q)} escape '\\'`);
    return q;
  }

  async listPermissions(
    appId: string,
    query: CatalogQuery & Page,
  ): Promise<Array<PermissionRecord & { usersCount: number; rolesCount: number }>> {
    if (query.scopes !== 'all' && query.scopes.length === 0) return [];
    let q = this.catalog('permissions', appId, query).selectAll();
    if (query.afterId) q = q.where('id', '>', query.afterId);
    const rows = await q.orderBy('id').limit(query.limit).execute();
    if (rows.length === 0) return [];
    const ids = rows.map((r) => r.id);
    const users = await this.db
      .selectFrom('permission_grants')
      .select(['permission_id', (eb) => eb.fn.count<number>('user_id').distinct().as('n')])
      .where('permission_id', 'in', ids)
      .groupBy('permission_id')
      .execute();
    const roles = await this.db
      .selectFrom('role_permissions')
      .select(['permission_id', (eb) => eb.fn.countAll<number>().as('n')])
      .where('permission_id', 'in', ids)
      .groupBy('permission_id')
      .execute();
    const usersBy = new Map(users.map((u) => [u.permission_id, Number(u.n)]));
    const rolesBy = new Map(roles.map((r) => [r.permission_id, Number(r.n)]));
    return rows.map((r) => ({
      ...toPermission(r),
      usersCount: usersBy.get(r.id) ?? 0,
      rolesCount: rolesBy.get(r.id) ?? 0,
    }));
  }

  async countPermissions(appId: string, query: CatalogQuery): Promise<number> {
    if (query.scopes !== 'all' && query.scopes.length === 0) return 0;
    const row = await this.catalog('permissions', appId, query)
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .executeTakeFirst();
    return Number(row?.n ?? 0);
  }

  // ------------------------------------------------------------------ roles

  private async rolePermissionIds(roleIds: readonly string[]): Promise<Map<string, string[]>> {
    const out = new Map<string, string[]>(roleIds.map((id) => [id, []]));
    if (roleIds.length === 0) return out;
    const links = await this.db
      .selectFrom('role_permissions')
      .select(['role_id', 'permission_id'])
      .where('role_id', 'in', [...roleIds])
      .orderBy('permission_id')
      .execute();
    for (const l of links) out.get(l.role_id)?.push(l.permission_id);
    return out;
  }

  async createRole(role: RoleRecord): Promise<void> {
    try {
      await this.db.transaction().execute(async (trx) => {
        await trx
          .insertInto('roles')
          .values({
            id: role.id,
            app_id: role.appId,
            name: role.name,
            description: role.description,
            scope_org_id: role.scopeOrgId,
            is_system: role.isSystem ? 1 : 0,
            created_at: role.createdAt,
            updated_at: role.updatedAt,
          })
          .execute();
        if (role.permissionIds.length > 0) {
          await trx
            .insertInto('role_permissions')
            .values(
              role.permissionIds.map((permissionId) => ({ role_id: role.id, permission_id: permissionId })),
            )
            .execute();
        }
      });
    } catch (err) {
      if (isUniqueViolation(err))
        throw new LatchkeyError('duplicate_role', `Role "${role.name}" already exists`);
      throw err;
    }
  }

  async findRole(appId: string, id: string): Promise<RoleRecord | null> {
    return (await this.findRoles(appId, [id]))[0] ?? null;
  }

  async findRoles(appId: string, ids: readonly string[]): Promise<RoleRecord[]> {
    if (ids.length === 0) return [];
    const rows = await this.db
      .selectFrom('roles')
      .selectAll()
      .where('app_id', '=', appId)
      .where('id', 'in', [...ids])
      .execute();
    const links = await this.rolePermissionIds(rows.map((r) => r.id));
    return rows.map((r) => toRole(r, links.get(r.id) ?? []));
  }

  async updateRole(
    appId: string,
    id: string,
    patch: { name?: string; description?: string | null; permissionIds?: string[] },
    now: number,
  ): Promise<RoleRecord | null> {
    const values: Partial<RolesTable> = { updated_at: now };
    if (patch.name !== undefined) values.name = patch.name;
    if (patch.description !== undefined) values.description = patch.description;
    try {
      const changed = await this.db.transaction().execute(async (trx) => {
        const result = await trx
          .updateTable('roles')
          .set(values)
          .where('app_id', '=', appId)
          .where('id', '=', id)
          .where('is_system', '=', 0)
          .executeTakeFirst();
        if (Number(result.numUpdatedRows) === 0) return false;
        if (patch.permissionIds !== undefined) {
          await trx.deleteFrom('role_permissions').where('role_id', '=', id).execute();
          if (patch.permissionIds.length > 0) {
            await trx
              .insertInto('role_permissions')
              .values(
                patch.permissionIds.map((permissionId) => ({ role_id: id, permission_id: permissionId })),
              )
              .execute();
          }
        }
        return true;
      });
      if (!changed) return this.findRole(appId, id);
    } catch (err) {
      if (isUniqueViolation(err))
        throw new LatchkeyError('duplicate_role', `Role "${patch.name}" already exists`);
      throw err;
    }
    return this.findRole(appId, id);
  }

  async deleteRole(appId: string, id: string): Promise<boolean> {
    const result = await this.db
      .deleteFrom('roles')
      .where('app_id', '=', appId)
      .where('id', '=', id)
      .where('is_system', '=', 0)
      .executeTakeFirst();
    return Number(result.numDeletedRows) > 0;
  }

  async listRoles(
    appId: string,
    query: CatalogQuery & Page,
  ): Promise<Array<RoleRecord & { usersCount: number }>> {
    if (query.scopes !== 'all' && query.scopes.length === 0) return [];
    let q = this.catalog('roles', appId, query).selectAll();
    if (query.afterId) q = q.where('id', '>', query.afterId);
    const rows = (await q.orderBy('id').limit(query.limit).execute()) as RolesTable[];
    if (rows.length === 0) return [];
    const ids = rows.map((r) => r.id);
    const links = await this.rolePermissionIds(ids);
    const users = await this.db
      .selectFrom('role_grants')
      .select(['role_id', (eb) => eb.fn.count<number>('user_id').distinct().as('n')])
      .where('role_id', 'in', ids)
      .groupBy('role_id')
      .execute();
    const usersBy = new Map(users.map((u) => [u.role_id, Number(u.n)]));
    return rows.map((r) => ({ ...toRole(r, links.get(r.id) ?? []), usersCount: usersBy.get(r.id) ?? 0 }));
  }

  async countRoles(appId: string, query: CatalogQuery): Promise<number> {
    if (query.scopes !== 'all' && query.scopes.length === 0) return 0;
    const row = await this.catalog('roles', appId, query)
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .executeTakeFirst();
    return Number(row?.n ?? 0);
  }

  // ------------------------------------------------------------------ grants

  async grantPermission(
    appId: string,
    permissionId: string,
    scope: GrantScope,
    now: number,
  ): Promise<boolean> {
    // DO NOTHING: a duplicate (even a concurrent one) is reported, never an error.
    const result = await this.db
      .insertInto('permission_grants')
      .values({
        id: newId(),
        app_id: appId,
        user_id: scope.userId,
        permission_id: permissionId,
        org_id: scope.orgId,
        resource_id: scope.resourceId,
        created_at: now,
      })
      .onConflict((oc) => oc.columns(['user_id', 'permission_id', 'org_id', 'resource_id']).doNothing())
      .executeTakeFirst();
    return Number(result.numInsertedOrUpdatedRows ?? 0n) > 0;
  }

  async revokePermission(appId: string, permissionId: string, scope: GrantScope): Promise<boolean> {
    const result = await this.db
      .deleteFrom('permission_grants')
      .where('app_id', '=', appId)
      .where('user_id', '=', scope.userId)
      .where('permission_id', '=', permissionId)
      .where('org_id', '=', scope.orgId)
      .where('resource_id', '=', scope.resourceId)
      .executeTakeFirst();
    return Number(result.numDeletedRows) > 0;
  }

  async grantRole(appId: string, roleId: string, scope: GrantScope, now: number): Promise<boolean> {
    const result = await this.db
      .insertInto('role_grants')
      .values({
        id: newId(),
        app_id: appId,
        user_id: scope.userId,
        role_id: roleId,
        org_id: scope.orgId,
        resource_id: scope.resourceId,
        created_at: now,
      })
      .onConflict((oc) => oc.columns(['user_id', 'role_id', 'org_id', 'resource_id']).doNothing())
      .executeTakeFirst();
    return Number(result.numInsertedOrUpdatedRows ?? 0n) > 0;
  }

  async revokeRole(appId: string, roleId: string, scope: GrantScope): Promise<boolean> {
    const result = await this.db
      .deleteFrom('role_grants')
      .where('app_id', '=', appId)
      .where('user_id', '=', scope.userId)
      .where('role_id', '=', roleId)
      .where('org_id', '=', scope.orgId)
      .where('resource_id', '=', scope.resourceId)
      .executeTakeFirst();
    return Number(result.numDeletedRows) > 0;
  }

  async heldRoles(appId: string, userId: string, now: number): Promise<HeldRole[]> {
    const rows = await this.db
      .selectFrom('role_grants as g')
      .innerJoin('roles as r', 'r.id', 'g.role_id')
      .select(['r.id', 'r.name', 'r.is_system', 'g.org_id', 'g.resource_id'])
      .where('g.app_id', '=', appId)
      .where('g.user_id', '=', userId)
      .where(liveGrant(now))
      .execute();
    return rows
      .map((r) => ({
        id: r.id,
        name: r.name,
        isSystemRole: r.is_system === 1,
        orgId: r.org_id,
        resourceId: r.resource_id,
      }))
      .sort(
        (a, b) =>
          a.name.localeCompare(b.name) ||
          a.orgId.localeCompare(b.orgId) ||
          a.resourceId.localeCompare(b.resourceId),
      );
  }
}
