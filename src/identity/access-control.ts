import type { Clock } from '../shared/clock.js';
import { LatchkeyError } from '../shared/errors.js';
import { newId } from '../shared/ids.js';
import type { Access } from './access.js';
import type {
  AccessRepository,
  CatalogQuery,
  OrgDirectory,
  PermissionRecord,
  RoleRecord,
} from './access-ports.js';
import { orgNotFound, userNotFound } from './org-management.js';
import type { OrgRepository } from './orgs.js';
import type { UserRepository } from './ports.js';

/** Names an app may not use: they belong to the system permissions. */
const RESERVED_PREFIXES = ['yeep.', 'latchkey.'];

function checkName(name: string): void {
  if (RESERVED_PREFIXES.some((p) => name.startsWith(p))) {
    throw new LatchkeyError(
      'invalid_permission',
      'Permissions starting with "yeep" are reserved for system use',
    );
  }
}

export interface ListQuery {
  q?: string;
  limit: number;
  afterId?: string;
  /** Only objects scoped to this org. */
  scope?: string;
  isSystem?: boolean;
}

export interface AssignmentInput {
  userId: string;
  orgId?: string | undefined;
  resourceId?: string | undefined;
}

export interface Assignment {
  userId: string;
  orgId: string | null;
  resourceId: string | null;
}

/**
 * Permissions and roles of an app, and their assignment to users. Permissions are
 * granted directly or through roles, globally or in an org (optionally on one resource);
 * an object scoped to an org exists only there. System permissions and the `admin` role
 * are immutable. Each method finds what it names first, then checks the caller.
 */
export class AccessControl {
  constructor(
    private readonly repo: AccessRepository,
    private readonly orgs: OrgRepository,
    private readonly directory: OrgDirectory,
    private readonly users: UserRepository,
    private readonly clock: Clock,
  ) {}

  private async orgExists(appId: string, orgId: string): Promise<void> {
    if (!(await this.orgs.findById(appId, orgId))) throw orgNotFound(orgId);
  }

  async permission(appId: string, id: string): Promise<PermissionRecord> {
    const found = await this.repo.findPermission(appId, id);
    if (!found) throw new LatchkeyError('permission_not_found', `Permission ${id} cannot be found`);
    return found;
  }

  async role(appId: string, id: string): Promise<RoleRecord> {
    const found = await this.repo.findRole(appId, id);
    if (!found) throw new LatchkeyError('role_not_found', `Role ${id} cannot be found`);
    return found;
  }

  /** Where a caller may read a catalogue: everywhere, or the orgs of their permission; a `scope` they cannot read is refused. */
  private catalogScopes(caller: Access, permission: string, query: ListQuery): CatalogQuery {
    const scopes = caller.reach(permission);
    if (query.scope !== undefined && scopes !== 'all' && !scopes.includes(query.scope)) {
      caller.require(permission, [query.scope]);
    }
    return {
      scopes,
      ...(query.q ? { q: query.q.toLowerCase() } : {}),
      ...(query.scope !== undefined ? { scope: query.scope } : {}),
      ...(query.isSystem !== undefined ? { isSystem: query.isSystem } : {}),
    };
  }

  // ------------------------------------------------------------------ permissions

  async createPermission(
    appId: string,
    caller: Access,
    input: { name: string; description?: string | undefined; scope?: string | undefined },
  ): Promise<PermissionRecord> {
    if (input.scope !== undefined) await this.orgExists(appId, input.scope);
    caller.require('yeep.permission.write', [input.scope ?? null]);
    const name = input.name.toLowerCase();
    checkName(name);
    const now = this.clock.now();
    const permission: PermissionRecord = {
      id: newId(),
      appId,
      name,
      description: input.description ?? null,
      scopeOrgId: input.scope ?? null,
      isSystem: false,
      createdAt: now,
      updatedAt: now,
    };
    await this.repo.createPermission(permission);
    return permission;
  }

  async permissionInfo(appId: string, caller: Access, id: string): Promise<PermissionRecord> {
    const permission = await this.permission(appId, id);
    caller.require('yeep.permission.read', [permission.scopeOrgId]);
    return permission;
  }

  async updatePermission(
    appId: string,
    caller: Access,
    id: string,
    patch: { name?: string | undefined; description?: string | undefined },
  ): Promise<PermissionRecord> {
    const permission = await this.permission(appId, id);
    caller.require('yeep.permission.write', [permission.scopeOrgId]);
    if (permission.isSystem) {
      throw new LatchkeyError(
        'immutable_permission',
        `Permission ${id} is a system permission and thus cannot be updated`,
      );
    }
    const name = patch.name?.toLowerCase();
    if (name !== undefined) checkName(name);
    const updated = await this.repo.updatePermission(
      appId,
      id,
      {
        ...(name !== undefined ? { name } : {}),
        ...(patch.description !== undefined ? { description: patch.description } : {}),
      },
      this.clock.now(),
    );
    if (!updated) throw new LatchkeyError('permission_not_found', `Permission ${id} cannot be found`);
    return updated;
  }

  async deletePermission(appId: string, caller: Access, id: string): Promise<void> {
    const permission = await this.permission(appId, id);
    caller.require('yeep.permission.write', [permission.scopeOrgId]);
    if (permission.isSystem) {
      throw new LatchkeyError(
        'immutable_permission',
        `Permission ${id} is a system permission and thus cannot be deleted`,
      );
    }
    await this.repo.deletePermission(appId, id);
  }

  async listPermissions(appId: string, caller: Access, query: ListQuery) {
    const filter = this.catalogScopes(caller, 'yeep.permission.read', query);
    const page = await this.repo.listPermissions(appId, {
      ...filter,
      limit: query.limit + 1,
      ...(query.afterId ? { afterId: query.afterId } : {}),
    });
    return {
      permissions: page.slice(0, query.limit),
      count: await this.repo.countPermissions(appId, filter),
      hasMore: page.length > query.limit,
    };
  }

  // ------------------------------------------------------------------ roles

  /** A role may hold global permissions and those of its own scope, nothing else. */
  private async checkRolePermissions(
    appId: string,
    ids: readonly string[],
    scope: string | null,
  ): Promise<void> {
    const found = new Map((await this.repo.findPermissions(appId, ids)).map((p) => [p.id, p]));
    for (const id of ids) {
      const p = found.get(id);
      if (!p || (p.scopeOrgId !== null && p.scopeOrgId !== scope)) {
        throw new LatchkeyError(
          'permission_not_found',
          `Permission "${id}" does not exist or is not accessible`,
        );
      }
    }
  }

  async createRole(
    appId: string,
    caller: Access,
    input: {
      name: string;
      description?: string | undefined;
      permissions: string[];
      scope?: string | undefined;
    },
  ): Promise<RoleRecord> {
    if (input.scope !== undefined) await this.orgExists(appId, input.scope);
    caller.require('yeep.role.write', [input.scope ?? null]);
    const permissionIds = [...new Set(input.permissions)];
    await this.checkRolePermissions(appId, permissionIds, input.scope ?? null);
    const now = this.clock.now();
    const role: RoleRecord = {
      id: newId(),
      appId,
      name: input.name.toLowerCase(),
      description: input.description ?? null,
      scopeOrgId: input.scope ?? null,
      isSystem: false,
      permissionIds: [...permissionIds].sort(),
      createdAt: now,
      updatedAt: now,
    };
    await this.repo.createRole(role);
    return role;
  }

  async roleInfo(appId: string, caller: Access, id: string): Promise<RoleRecord> {
    const role = await this.role(appId, id);
    caller.require('yeep.role.read', [role.scopeOrgId]);
    return role;
  }

  async updateRole(
    appId: string,
    caller: Access,
    id: string,
    patch: {
      name?: string | undefined;
      description?: string | undefined;
      permissions?: string[] | undefined;
    },
  ): Promise<RoleRecord> {
    const role = await this.role(appId, id);
    caller.require('yeep.role.write', [role.scopeOrgId]);
    if (role.isSystem) {
      throw new LatchkeyError('immutable_role', `Role ${id} is a system role and thus cannot be updated`);
    }
    const permissionIds = patch.permissions ? [...new Set(patch.permissions)] : undefined;
    if (permissionIds) await this.checkRolePermissions(appId, permissionIds, role.scopeOrgId);
    const updated = await this.repo.updateRole(
      appId,
      id,
      {
        ...(patch.name !== undefined ? { name: patch.name.toLowerCase() } : {}),
        ...(patch.description !== undefined ? { description: patch.description } : {}),
        ...(permissionIds ? { permissionIds } : {}),
      },
      this.clock.now(),
    );
    if (!updated) throw new LatchkeyError('role_not_found', `Role ${id} cannot be found`);
    return updated;
  }

  async deleteRole(appId: string, caller: Access, id: string): Promise<void> {
    const role = await this.role(appId, id);
    caller.require('yeep.role.write', [role.scopeOrgId]);
    if (role.isSystem) {
      throw new LatchkeyError('immutable_role', `Role ${id} is a system role and thus cannot be deleted`);
    }
    await this.repo.deleteRole(appId, id);
  }

  async listRoles(appId: string, caller: Access, query: ListQuery) {
    const filter = this.catalogScopes(caller, 'yeep.role.read', query);
    const page = await this.repo.listRoles(appId, {
      ...filter,
      limit: query.limit + 1,
      ...(query.afterId ? { afterId: query.afterId } : {}),
    });
    return {
      roles: page.slice(0, query.limit),
      count: await this.repo.countRoles(appId, filter),
      hasMore: page.length > query.limit,
    };
  }

  // ------------------------------------------------------------------ assignments

  /** The target user and org exist; an org-scoped grant needs a live membership. */
  private async assignmentTarget(appId: string, input: AssignmentInput): Promise<void> {
    if (!(await this.users.findById(appId, input.userId))) throw userNotFound();
    if (input.orgId !== undefined) await this.orgExists(appId, input.orgId);
  }

  private async requireMember(input: AssignmentInput): Promise<void> {
    if (input.orgId === undefined) return;
    const m = await this.directory.membership(input.orgId, input.userId);
    if (!m || (m.expiresAt !== null && m.expiresAt <= this.clock.now())) {
      throw new LatchkeyError(
        'membership_not_found',
        `User "${input.userId}" is not a member of org "${input.orgId}"`,
      );
    }
  }

  private scope(input: AssignmentInput) {
    return { userId: input.userId, orgId: input.orgId ?? '', resourceId: input.resourceId ?? '' };
  }

  private assignment(input: AssignmentInput): Assignment {
    return { userId: input.userId, orgId: input.orgId ?? null, resourceId: input.resourceId ?? null };
  }

  async assignPermission(
    appId: string,
    caller: Access,
    input: AssignmentInput & { permissionId: string },
  ): Promise<Assignment & { permissionId: string }> {
    await this.assignmentTarget(appId, input);
    const permission = await this.permission(appId, input.permissionId);
    caller.require('yeep.permission.assignment.write', [input.orgId ?? null]);
    if (permission.scopeOrgId !== null && permission.scopeOrgId !== input.orgId) {
      throw new LatchkeyError(
        'invalid_permission_assignment',
        `Permission ${permission.id} cannot be assigned to the designated org`,
      );
    }
    await this.requireMember(input);
    if (!(await this.repo.grantPermission(appId, permission.id, this.scope(input), this.clock.now()))) {
      throw new LatchkeyError(
        'duplicate_permission_assignment',
        `Permission ${permission.id} already assigned to the designated user`,
      );
    }
    return { ...this.assignment(input), permissionId: permission.id };
  }

  async revokePermission(appId: string, caller: Access, input: AssignmentInput & { permissionId: string }) {
    await this.assignmentTarget(appId, input);
    const permission = await this.permission(appId, input.permissionId);
    // The reference checked role.assignment.write here; revoking a permission needs the permission one.
    caller.require('yeep.permission.assignment.write', [input.orgId ?? null]);
    if (!(await this.repo.revokePermission(appId, permission.id, this.scope(input)))) {
      throw new LatchkeyError('permission_assignment_not_found', 'Permission assignment does not exist');
    }
  }

  async assignRole(
    appId: string,
    caller: Access,
    input: AssignmentInput & { roleId: string },
  ): Promise<Assignment & { roleId: string }> {
    await this.assignmentTarget(appId, input);
    const role = await this.role(appId, input.roleId);
    caller.require('yeep.role.assignment.write', [input.orgId ?? null]);
    if (role.scopeOrgId !== null && role.scopeOrgId !== input.orgId) {
      throw new LatchkeyError(
        'invalid_role_assignment',
        `Role ${role.id} cannot be assigned to the designated org`,
      );
    }
    await this.requireMember(input);
    if (!(await this.repo.grantRole(appId, role.id, this.scope(input), this.clock.now()))) {
      throw new LatchkeyError(
        'duplicate_role_assignment',
        `Role ${role.id} already assigned to the designated user`,
      );
    }
    return { ...this.assignment(input), roleId: role.id };
  }

  async revokeRole(appId: string, caller: Access, input: AssignmentInput & { roleId: string }) {
    await this.assignmentTarget(appId, input);
    const role = await this.role(appId, input.roleId);
    caller.require('yeep.role.assignment.write', [input.orgId ?? null]);
    if (!(await this.repo.revokeRole(appId, role.id, this.scope(input)))) {
      throw new LatchkeyError('role_assignment_not_found', 'Role assignment does not exist');
    }
  }

  heldRoles(appId: string, userId: string) {
    return this.repo.heldRoles(appId, userId, this.clock.now());
  }
}
