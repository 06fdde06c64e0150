import type { HeldRole, PermissionRecord, RoleRecord } from '../../../identity/access-ports.js';
import type { Invitation } from '../../../identity/invitations.js';
import type { Org } from '../../../identity/orgs.js';
import type { EffectivePermission, User } from '../../../identity/types.js';
import { primaryEmail } from '../../../identity/types.js';

export interface SignInProjection {
  profile: boolean;
  permissions: boolean;
}

/** The permission entry as the reference puts it in tokens: resourceId only when set. */
export function tokenPermission(p: EffectivePermission): Record<string, unknown> {
  const out: Record<string, unknown> = {
    id: p.id,
    name: p.name,
    isSystemPermission: p.isSystemPermission,
    orgId: p.orgId,
    roleId: p.roleId,
  };
  if (p.resourceId) out['resourceId'] = p.resourceId;
  return out;
}

/** The `user` claim of a session token, and the `user` that setCookie answers with. */
export function sessionUser(
  user: User,
  projection: SignInProjection,
  permissions: EffectivePermission[] | null,
): Record<string, unknown> {
  const out: Record<string, unknown> = { id: user.id };
  if (projection.profile) {
    if (user.username !== null) out['username'] = user.username;
    if (user.fullName !== null) out['fullName'] = user.fullName;
    if (user.picture) out['picture'] = user.picture;
    out['primaryEmail'] = primaryEmail(user);
  }
  if (projection.permissions) out['permissions'] = (permissions ?? []).map(tokenPermission);
  return out;
}

export type UserField =
  | 'id'
  | 'username'
  | 'fullName'
  | 'picture'
  | 'emails'
  | 'orgs'
  | 'createdAt'
  | 'updatedAt'
  | 'permissions'
  | 'roles';

export const DEFAULT_USER_FIELDS: Record<UserField, boolean> = {
  id: true,
  username: true,
  fullName: true,
  picture: true,
  emails: true,
  orgs: true,
  createdAt: true,
  updatedAt: true,
  permissions: false,
  roles: false,
};

export interface UserExtras {
  permissions?: EffectivePermission[] | undefined;
  roles?: HeldRole[] | undefined;
  /** The orgs the user is a member of. */
  orgIds?: string[] | undefined;
}

/** A user as user.info / user.list / user.create present it, restricted to the projected fields. */
export function presentUser(
  user: User,
  fields: Partial<Record<UserField, boolean>>,
  extras: UserExtras = {},
): Record<string, unknown> {
  const want = { ...DEFAULT_USER_FIELDS, ...fields };
  const out: Record<string, unknown> = {};
  if (want.id) out['id'] = user.id;
  if (want.username) out['username'] = user.username;
  if (want.fullName) out['fullName'] = user.fullName;
  if (want.picture) out['picture'] = user.picture;
  if (want.emails)
    out['emails'] = user.emails.map((e) => ({
      address: e.address,
      isVerified: e.isVerified,
      isPrimary: e.isPrimary,
    }));
  if (want.orgs) out['orgs'] = extras.orgIds ?? [];
  if (want.createdAt) out['createdAt'] = new Date(user.createdAt).toISOString();
  if (want.updatedAt) out['updatedAt'] = new Date(user.updatedAt).toISOString();
  if (want.permissions)
    out['permissions'] = (extras.permissions ?? []).map((p) => ({
      ...tokenPermission(p),
      resourceId: p.resourceId,
    }));
  if (want.roles)
    out['roles'] = (extras.roles ?? []).map((r) => ({
      id: r.id,
      name: r.name,
      isSystemRole: r.isSystemRole,
      orgId: r.orgId,
      resourceId: r.resourceId,
    }));
  return out;
}

/** A user's default presentation as JSON, per user object (the cache hands out one per version) and org set. */
const presentedDefault = new WeakMap<User, { orgs: string; json: string }>();

/**
 * presentUser with the default fields, serialised, remembered for as long as the same
 * user object (a cached user is replaced, never changed, when it changes) and the same
 * org ids come back: the token check's answer, built once instead of on every request.
 */
export function defaultUserJson(user: User, orgIds: readonly string[]): string {
  const orgs = orgIds.join(' ');
  const memo = presentedDefault.get(user);
  if (memo?.orgs === orgs) return memo.json;
  const json = JSON.stringify(presentUser(user, {}, { orgIds: [...orgIds] }));
  presentedDefault.set(user, { orgs, json });
  return json;
}

const iso = (ms: number) => new Date(ms).toISOString();

export function presentOrg(org: Org): Record<string, unknown> {
  return {
    id: org.id,
    name: org.name,
    slug: org.slug,
    createdAt: iso(org.createdAt),
    updatedAt: iso(org.updatedAt),
  };
}

export function presentPermission(p: PermissionRecord): Record<string, unknown> {
  return {
    id: p.id,
    name: p.name,
    description: p.description,
    scope: p.scopeOrgId,
    isSystemPermission: p.isSystem,
    createdAt: iso(p.createdAt),
    updatedAt: iso(p.updatedAt),
  };
}

export function presentRole(r: RoleRecord): Record<string, unknown> {
  return {
    id: r.id,
    name: r.name,
    description: r.description,
    scope: r.scopeOrgId,
    isSystemRole: r.isSystem,
    permissions: r.permissionIds,
    createdAt: iso(r.createdAt),
    updatedAt: iso(r.updatedAt),
  };
}

export function presentInvitation(i: Invitation): Record<string, unknown> {
  const grant = (g: { id: string; resourceId: string }) =>
    g.resourceId ? { id: g.id, resourceId: g.resourceId } : { id: g.id };
  return {
    id: i.id,
    org: { id: i.orgId },
    user: { id: i.userId, emailAddress: i.email },
    permissions: i.permissions.map(grant),
    roles: i.roles.map(grant),
    createdAt: iso(i.createdAt),
    expiresAt: iso(i.expiresAt),
  };
}
