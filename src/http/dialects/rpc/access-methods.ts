import { after, next } from './cursor.js';
import { callerAccess, type RpcContext, rpcMethod } from './method.js';
import { presentPermission, presentRole } from './presenters.js';
import { RESPONSES } from './responses.js';
import {
  IdBody,
  PermissionAssignmentBody,
  PermissionCreateBody,
  PermissionListBody,
  PermissionUpdateBody,
  RoleAssignmentBody,
  RoleCreateBody,
  RoleListBody,
  RoleUpdateBody,
} from './schemas.js';
import { invalidBody, nothingToChange } from './validation.js';

const appOf = (ctx: RpcContext<unknown>) => ctx.services.defaultApp.id;

function assignment(body: { userId: string; orgId?: string; resourceId?: string | number }) {
  return {
    userId: body.userId,
    orgId: body.orgId,
    resourceId: body.resourceId === undefined ? undefined : String(body.resourceId),
  };
}

export const PERMISSION_METHODS = [
  rpcMethod({
    name: 'permission.create',
    response: RESPONSES.permission,
    auth: 'required',
    body: PermissionCreateBody,
    summary: 'Create a permission, global or scoped to an org (needs yeep.permission.write there)',
    handler: async (ctx) => {
      const permission = await ctx.services.identity.access.createPermission(
        appOf(ctx),
        await callerAccess(ctx),
        ctx.body,
      );
      return { permission: presentPermission(permission) };
    },
  }),
  rpcMethod({
    name: 'permission.info',
    response: RESPONSES.permission,
    auth: 'required',
    body: IdBody,
    summary: 'A permission (needs yeep.permission.read in its scope)',
    handler: async (ctx) => {
      const permission = await ctx.services.identity.access.permissionInfo(
        appOf(ctx),
        await callerAccess(ctx),
        ctx.body.id,
      );
      return { permission: presentPermission(permission) };
    },
  }),
  rpcMethod({
    name: 'permission.update',
    response: RESPONSES.permission,
    auth: 'required',
    body: PermissionUpdateBody,
    summary: 'Rename or describe a permission; system permissions are immutable',
    handler: async (ctx) => {
      const { id, ...patch } = ctx.body;
      if (Object.keys(patch).length === 0) invalidBody([nothingToChange(['name', 'description'])]);
      const permission = await ctx.services.identity.access.updatePermission(
        appOf(ctx),
        await callerAccess(ctx),
        id,
        patch,
      );
      return { permission: presentPermission(permission) };
    },
  }),
  rpcMethod({
    name: 'permission.delete',
    response: RESPONSES.nothing,
    auth: 'required',
    body: IdBody,
    summary: 'Delete a permission with its grants; system permissions are immutable',
    handler: async (ctx) => {
      await ctx.services.identity.access.deletePermission(appOf(ctx), await callerAccess(ctx), ctx.body.id);
      return {};
    },
  }),
  rpcMethod({
    name: 'permission.list',
    response: RESPONSES.permissionList,
    auth: 'required',
    body: PermissionListBody,
    summary: 'List the permissions you may read (yeep.permission.read)',
    handler: async (ctx) => {
      const { permissions, count, hasMore } = await ctx.services.identity.access.listPermissions(
        appOf(ctx),
        await callerAccess(ctx),
        {
          limit: ctx.body.limit ?? 100,
          ...after(ctx.body.cursor),
          ...(ctx.body.q ? { q: ctx.body.q } : {}),
          ...(ctx.body.scope ? { scope: ctx.body.scope } : {}),
          ...(ctx.body.isSystemPermission !== undefined ? { isSystem: ctx.body.isSystemPermission } : {}),
        },
      );
      return {
        permissions: permissions.map((p) => ({
          ...presentPermission(p),
          usersCount: p.usersCount,
          rolesCount: p.rolesCount,
        })),
        permissionsCount: count,
        ...next(hasMore, permissions),
      };
    },
  }),
];

export const ROLE_METHODS = [
  rpcMethod({
    name: 'role.create',
    response: RESPONSES.role,
    auth: 'required',
    body: RoleCreateBody,
    summary: 'Create a role from permissions, global or scoped to an org (needs yeep.role.write there)',
    handler: async (ctx) => {
      const role = await ctx.services.identity.access.createRole(
        appOf(ctx),
        await callerAccess(ctx),
        ctx.body,
      );
      return { role: presentRole(role) };
    },
  }),
  rpcMethod({
    name: 'role.info',
    response: RESPONSES.role,
    auth: 'required',
    body: IdBody,
    summary: 'A role (needs yeep.role.read in its scope)',
    handler: async (ctx) => {
      const role = await ctx.services.identity.access.roleInfo(
        appOf(ctx),
        await callerAccess(ctx),
        ctx.body.id,
      );
      return { role: presentRole(role) };
    },
  }),
  rpcMethod({
    name: 'role.update',
    response: RESPONSES.role,
    auth: 'required',
    body: RoleUpdateBody,
    summary: 'Rename a role, describe it or replace its permissions; the admin role is immutable',
    handler: async (ctx) => {
      const { id, ...patch } = ctx.body;
      if (Object.keys(patch).length === 0)
        invalidBody([nothingToChange(['name', 'description', 'permissions'])]);
      const role = await ctx.services.identity.access.updateRole(
        appOf(ctx),
        await callerAccess(ctx),
        id,
        patch,
      );
      return { role: presentRole(role) };
    },
  }),
  rpcMethod({
    name: 'role.delete',
    response: RESPONSES.nothing,
    auth: 'required',
    body: IdBody,
    summary: 'Delete a role with its grants; the admin role is immutable',
    handler: async (ctx) => {
      await ctx.services.identity.access.deleteRole(appOf(ctx), await callerAccess(ctx), ctx.body.id);
      return {};
    },
  }),
  rpcMethod({
    name: 'role.list',
    response: RESPONSES.roleList,
    auth: 'required',
    body: RoleListBody,
    summary: 'List the roles you may read (yeep.role.read)',
    handler: async (ctx) => {
      const { roles, count, hasMore } = await ctx.services.identity.access.listRoles(
        appOf(ctx),
        await callerAccess(ctx),
        {
          limit: ctx.body.limit ?? 100,
          ...after(ctx.body.cursor),
          ...(ctx.body.q ? { q: ctx.body.q } : {}),
          ...(ctx.body.scope ? { scope: ctx.body.scope } : {}),
          ...(ctx.body.isSystemRole !== undefined ? { isSystem: ctx.body.isSystemRole } : {}),
        },
      );
      return {
        roles: roles.map((r) => ({ ...presentRole(r), usersCount: r.usersCount })),
        rolesCount: count,
        ...next(hasMore, roles),
      };
    },
  }),
];

export const ASSIGNMENT_METHODS = [
  rpcMethod({
    name: 'user.assignPermission',
    response: RESPONSES.permissionAssignment,
    auth: 'required',
    body: PermissionAssignmentBody,
    summary:
      'Grant a permission to a user, globally or in an org (needs yeep.permission.assignment.write there)',
    handler: async (ctx) => {
      const granted = await ctx.services.identity.access.assignPermission(
        appOf(ctx),
        await callerAccess(ctx),
        {
          ...assignment(ctx.body),
          permissionId: ctx.body.permissionId,
        },
      );
      return { permissionAssignment: granted };
    },
  }),
  rpcMethod({
    name: 'user.revokePermission',
    response: RESPONSES.nothing,
    auth: 'required',
    body: PermissionAssignmentBody,
    summary: 'Take back a permission granted directly (needs yeep.permission.assignment.write there)',
    handler: async (ctx) => {
      await ctx.services.identity.access.revokePermission(appOf(ctx), await callerAccess(ctx), {
        ...assignment(ctx.body),
        permissionId: ctx.body.permissionId,
      });
      return {};
    },
  }),
  rpcMethod({
    name: 'user.assignRole',
    response: RESPONSES.roleAssignment,
    auth: 'required',
    body: RoleAssignmentBody,
    summary: 'Grant a role to a user, globally or in an org (needs yeep.role.assignment.write there)',
    handler: async (ctx) => {
      const granted = await ctx.services.identity.access.assignRole(appOf(ctx), await callerAccess(ctx), {
        ...assignment(ctx.body),
        roleId: ctx.body.roleId,
      });
      return { roleAssignment: granted };
    },
  }),
  rpcMethod({
    name: 'user.revokeRole',
    response: RESPONSES.nothing,
    auth: 'required',
    body: RoleAssignmentBody,
    summary: 'Take back a role (needs yeep.role.assignment.write there)',
    handler: async (ctx) => {
      await ctx.services.identity.access.revokeRole(appOf(ctx), await callerAccess(ctx), {
        ...assignment(ctx.body),
        roleId: ctx.body.roleId,
      });
      return {};
    },
  }),
];

export const ACCESS_METHODS = [...PERMISSION_METHODS, ...ROLE_METHODS, ...ASSIGNMENT_METHODS];
