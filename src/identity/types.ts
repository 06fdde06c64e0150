export interface App {
  id: string;
  owner: string;
  name: string;
  createdAt: number;
}

export function appQName(app: Pick<App, 'owner' | 'name'>): string {
  return `${app.owner}/${app.name}`;
}

export interface Email {
  address: string;
  isVerified: boolean;
  isPrimary: boolean;
}

export interface User {
  id: string;
  appId: string;
  username: string | null;
  fullName: string | null;
  picture: string | null;
  /** PHC string; never leaves the core. */
  passwordHash: string | null;
  /** False while the account waits for activation. */
  isActive: boolean;
  /** Deactivated from this moment on (may be in the future). */
  deactivatedAt: number | null;
  emails: Email[];
  createdAt: number;
  updatedAt: number;
}

export function isDeactivated(user: Pick<User, 'deactivatedAt'>, now: number): boolean {
  return user.deactivatedAt !== null && user.deactivatedAt <= now;
}

export function primaryEmail(user: Pick<User, 'emails'>): string | null {
  return (user.emails.find((e) => e.isPrimary) ?? user.emails[0])?.address ?? null;
}

export interface NewUser {
  appId: string;
  username: string | null;
  fullName: string | null;
  picture: string | null;
  passwordHash: string | null;
  isActive: boolean;
  emails: Email[];
}

export interface UserPatch {
  username?: string | null;
  fullName?: string | null;
  picture?: string | null;
  passwordHash?: string | null;
  emails?: Email[];
  isActive?: boolean;
  deactivatedAt?: number | null;
}

/**
 * A compare-and-swap condition on an update: the row changes only when it still holds
 * these values, so a decision taken from an earlier read cannot overwrite a later write.
 */
export interface UserUpdateCondition {
  isActive?: boolean;
}

export interface UserListQuery {
  /** Username (or email) prefix. */
  q?: string;
  limit: number;
  /** Return users with an id greater than this one. */
  afterId?: string;
  /** Restrict to these ids (permission-scoped listing); undefined means no restriction. */
  ids?: string[];
  /** Restrict to live members of these orgs (memberships not expired `at`); undefined means no restriction. */
  memberOf?: { orgIds: string[]; at: number };
}

export interface Permission {
  id: string;
  appId: string;
  name: string;
  description: string | null;
  scopeOrgId: string | null;
  isSystem: boolean;
}

/** A permission the user holds, directly or through a role, globally ('') or in an org. */
export interface EffectivePermission {
  id: string;
  name: string;
  isSystemPermission: boolean;
  orgId: string;
  resourceId: string;
  roleId: string;
}
