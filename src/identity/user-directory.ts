import type { Clock } from '../shared/clock.js';
import { LatchkeyError } from '../shared/errors.js';
import type { Access } from './access.js';
import type { AccessControl } from './access-control.js';
import type { HeldRole } from './access-ports.js';
import type { Authorization, Caller } from './authorization.js';
import type { OrgManagement } from './org-management.js';
import { userNotFound } from './org-management.js';
import type { UserRepository } from './ports.js';
import type { EffectivePermission, User } from './types.js';

export interface UserView {
  user: User;
  /** The orgs the user is a (live) member of. */
  orgIds: string[];
  permissions?: EffectivePermission[];
  roles?: HeldRole[];
}

export interface Projection {
  permissions?: boolean;
  roles?: boolean;
}

/**
 * Reading users with the reference's scoping: you may read yourself, and others through
 * yeep.user.read granted globally or in one of their orgs. Their permissions (roles)
 * also need yeep.permission.assignment.read (yeep.role.assignment.read): globally shows
 * all of them, per org shows the grants made in the orgs where you hold both.
 */
export class UserDirectory {
  constructor(
    private readonly users: UserRepository,
    private readonly orgs: OrgManagement,
    private readonly authz: Authorization,
    private readonly access: AccessControl,
    private readonly clock: Clock,
  ) {}

  /** Where the caller may see a user's grants of one kind: everywhere, these orgs, or nowhere (null). */
  private visibleScope(caller: Access, target: UserView, assignmentRead: string): 'all' | string[] | null {
    if (caller.userId === target.user.id) return 'all';
    if (caller.hasGlobally(assignmentRead) && caller.hasGlobally('yeep.user.read')) return 'all';
    const orgs = target.orgIds.filter(
      (o) => caller.has(assignmentRead, [o]) && caller.has('yeep.user.read', [o]),
    );
    return orgs.length > 0 ? orgs : null;
  }

  private async project(
    appId: string,
    caller: Access | Caller,
    view: UserView,
    projection: Projection,
    hidden: 'refuse' | 'empty',
  ): Promise<UserView> {
    // Yourself: everything is visible, and your own permissions are never read for it.
    const scopeOf = async (assignmentRead: string) =>
      caller.userId === view.user.id
        ? 'all'
        : this.visibleScope(await accessOf(caller), view, assignmentRead);
    if (projection.permissions) {
      const scope = await scopeOf('yeep.permission.assignment.read');
      if (scope === null && hidden === 'refuse') throw forbiddenFor(caller);
      const all = scope === null ? [] : await this.authz.effective(appId, view.user.id);
      view.permissions = scope === null || scope === 'all' ? all : all.filter((p) => scope.includes(p.orgId));
    }
    if (projection.roles) {
      const scope = await scopeOf('yeep.role.assignment.read');
      if (scope === null && hidden === 'refuse') throw forbiddenFor(caller);
      const all = scope === null ? [] : await this.access.heldRoles(appId, view.user.id);
      view.roles = scope === null || scope === 'all' ? all : all.filter((r) => scope.includes(r.orgId));
    }
    return view;
  }

  /**
   * info's answer for a caller reading themselves without grants, when the per-process
   * caches hold their user and memberships now: the token check's common case, answered
   * without waiting. undefined whenever anything else applies; info then decides.
   */
  infoCached(appId: string, callerId: string, id: string, projection: Projection = {}): UserView | undefined {
    if (callerId !== id || projection.permissions || projection.roles) return undefined;
    const user = this.users.peekById?.(appId, id);
    const orgIds = user && this.orgs.peekOrgIdsOf(id);
    return user && orgIds ? { user, orgIds } : undefined;
  }

  async info(appId: string, caller: Caller, id: string, projection: Projection = {}): Promise<UserView> {
    const user = await this.users.findById(appId, id);
    if (!user) throw userNotFound();
    const orgIds = (await this.orgs.orgIdsOf([id])).get(id) ?? [];
    if (caller.userId !== id) (await caller.access()).require('yeep.user.read', orgIds);
    // The token check's common case (no grants asked for) skips the projection step.
    if (!projection.permissions && !projection.roles) return { user, orgIds };
    return this.project(appId, caller, { user, orgIds }, projection, 'refuse');
  }

  /**
   * The users the caller may read, in id order: everyone with global yeep.user.read,
   * otherwise the members of the orgs where they hold it. `orgId` narrows the list to
   * one org, which the caller must be able to read.
   */
  async list(
    appId: string,
    caller: Access,
    query: { q?: string; limit: number; afterId?: string; orgId?: string },
    projection: Projection = {},
  ): Promise<{ users: UserView[]; hasMore: boolean }> {
    const reach = caller.reach('yeep.user.read');
    let memberOf: string[] | undefined;
    if (query.orgId !== undefined) {
      caller.require('yeep.user.read', [query.orgId]);
      await this.orgs.get(appId, query.orgId);
      memberOf = [query.orgId];
    } else if (reach !== 'all') memberOf = reach;
    // Asking for permissions (roles) needs the assignment-read permission somewhere.
    for (const [wanted, permission] of [
      [projection.permissions, 'yeep.permission.assignment.read'],
      [projection.roles, 'yeep.role.assignment.read'],
    ] as const) {
      if (wanted && !caller.hasGlobally(permission) && caller.orgsWith(permission).length === 0)
        throw forbiddenFor(caller);
    }
    const found = await this.users.list(appId, {
      limit: query.limit + 1,
      ...(query.afterId ? { afterId: query.afterId } : {}),
      ...(query.q ? { q: query.q } : {}),
      ...(memberOf !== undefined ? { memberOf: { orgIds: memberOf, at: this.clock.now() } } : {}),
    });
    const page = found.slice(0, query.limit);
    const orgIds = await this.orgs.orgIdsOf(page.map((u) => u.id));
    const views: UserView[] = [];
    for (const user of page) {
      // Someone whose grants the caller cannot see is listed without them, not refused.
      views.push(
        await this.project(appId, caller, { user, orgIds: orgIds.get(user.id) ?? [] }, projection, 'empty'),
      );
    }
    return { users: views, hasMore: found.length > query.limit };
  }
}

function accessOf(caller: Access | Caller): Promise<Access> | Access {
  return 'grants' in caller ? caller : caller.access();
}

function forbiddenFor(caller: { userId: string }): LatchkeyError {
  return new LatchkeyError(
    'forbidden',
    `User "${caller.userId}" does not have sufficient permissions to access this resource`,
  );
}
