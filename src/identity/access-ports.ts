import type { Org } from './orgs.js';
import type { EffectivePermission } from './types.js';

/** A permission of an app: a system one (`yeep.*`, immutable) or one the app defined, global or scoped to an org. */
export interface PermissionRecord {
  id: string;
  appId: string;
  /** Lowercase; unique per app. */
  name: string;
  description: string | null;
  /** The org it belongs to (it can only be granted there); null for a global permission. */
  scopeOrgId: string | null;
  isSystem: boolean;
  createdAt: number;
  updatedAt: number;
}

/** A named set of permissions; the `admin` role is the immutable system one. */
export interface RoleRecord {
  id: string;
  appId: string;
  name: string;
  description: string | null;
  scopeOrgId: string | null;
  isSystem: boolean;
  permissionIds: string[];
  createdAt: number;
  updatedAt: number;
}

/** Where a permission or role is granted: globally (`orgId` '') or in an org, optionally on one resource ('' = any). */
export interface GrantScope {
  userId: string;
  orgId: string;
  resourceId: string;
}

/** A role a user holds, as user.info's `projection.roles` shows it. */
export interface HeldRole {
  id: string;
  name: string;
  isSystemRole: boolean;
  orgId: string;
  resourceId: string;
}

export interface CatalogQuery {
  /** Name prefix, case-insensitive. */
  q?: string;
  /** 'all', or only objects scoped to these orgs (global objects excluded). */
  scopes: 'all' | readonly string[];
  /** Only objects of this scope: an org id, or null for global ones. */
  scope?: string | null;
  isSystem?: boolean;
}

export interface Page {
  limit: number;
  afterId?: string;
}

/**
 * Storage for permissions, roles and their grants. Unique names surface as
 * duplicate_permission / duplicate_role; every write is one atomic statement or transaction.
 */
export interface AccessRepository {
  effectivePermissions(appId: string, userId: string, now?: number): Promise<EffectivePermission[]>;

  createPermission(permission: PermissionRecord): Promise<void>;
  findPermission(appId: string, id: string): Promise<PermissionRecord | null>;
  findPermissions(appId: string, ids: readonly string[]): Promise<PermissionRecord[]>;
  updatePermission(
    appId: string,
    id: string,
    patch: { name?: string; description?: string | null },
    now: number,
  ): Promise<PermissionRecord | null>;
  deletePermission(appId: string, id: string): Promise<boolean>;
  listPermissions(
    appId: string,
    query: CatalogQuery & Page,
  ): Promise<Array<PermissionRecord & { usersCount: number; rolesCount: number }>>;
  countPermissions(appId: string, query: CatalogQuery): Promise<number>;

  createRole(role: RoleRecord): Promise<void>;
  findRole(appId: string, id: string): Promise<RoleRecord | null>;
  findRoles(appId: string, ids: readonly string[]): Promise<RoleRecord[]>;
  updateRole(
    appId: string,
    id: string,
    patch: { name?: string; description?: string | null; permissionIds?: string[] },
    now: number,
  ): Promise<RoleRecord | null>;
  deleteRole(appId: string, id: string): Promise<boolean>;
  listRoles(appId: string, query: CatalogQuery & Page): Promise<Array<RoleRecord & { usersCount: number }>>;
  countRoles(appId: string, query: CatalogQuery): Promise<number>;

  /** False when exactly this grant exists already. */
  grantPermission(appId: string, permissionId: string, scope: GrantScope, now: number): Promise<boolean>;
  /** False when there was no such grant. */
  revokePermission(appId: string, permissionId: string, scope: GrantScope): Promise<boolean>;
  grantRole(appId: string, roleId: string, scope: GrantScope, now: number): Promise<boolean>;
  revokeRole(appId: string, roleId: string, scope: GrantScope): Promise<boolean>;
  /** The roles a user holds (grants of expired memberships left out), sorted by name, org, resource. */
  heldRoles(appId: string, userId: string, now: number): Promise<HeldRole[]>;
}

export interface Membership {
  orgId: string;
  userId: string;
  createdAt: number;
  expiresAt: number | null;
}

export interface OrgQuery {
  /** Name or slug prefix, case-insensitive. */
  q?: string;
  /** 'all', or only these orgs. */
  scopes: 'all' | readonly string[];
  /** Only orgs this user is a (live) member of. */
  memberId?: string;
  /** When memberships are judged live. */
  now: number;
}

/** A grant that comes with a membership (org.addMember, invitations). */
export interface GrantInput {
  id: string;
  resourceId: string;
}

/**
 * What org administration needs beyond the general org repository (identity/orgs.ts):
 * search with counts, memberships that expire, and changes that keep grants consistent
 * with memberships (leaving an org, or deleting it, removes the grants made in it).
 */
export interface LiveMembership {
  orgId: string;
  expiresAt: number | null;
}

export interface OrgDirectory {
  search(appId: string, query: OrgQuery & Page): Promise<Org[]>;
  count(appId: string, query: OrgQuery): Promise<number>;
  membership(orgId: string, userId: string): Promise<Membership | null>;
  /** Each user's orgs with a live membership, in the order joined. */
  liveOrgIds(userIds: readonly string[], now: number): Promise<Map<string, string[]>>;
  /** One user's live org ids if a per-process cache holds them now; undefined means "ask liveOrgIds". */
  peekLiveOrgIds?(userId: string, now: number): string[] | undefined;
  /** The same memberships with when each ends (null: never), so a cache can tell when one lapses. */
  liveMemberships(userIds: readonly string[], now: number): Promise<Map<string, LiveMembership[]>>;
  /**
   * Makes the user a member with these grants, in one transaction. False when a live
   * membership exists; an expired one is replaced (its grants go with it).
   */
  join(input: {
    appId: string;
    orgId: string;
    userId: string;
    now: number;
    expiresAt: number | null;
    permissions: readonly GrantInput[];
    roles: readonly GrantInput[];
  }): Promise<boolean>;
  /** Ends a membership and removes the grants made in that org. False when there was none. */
  leave(appId: string, orgId: string, userId: string): Promise<boolean>;
  /** Deletes an org, its memberships, the grants made in it and the permissions and roles scoped to it. */
  deleteOrg(appId: string, orgId: string): Promise<boolean>;
}
