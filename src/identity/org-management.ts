import type { Clock } from '../shared/clock.js';
import { isLatchkeyError, LatchkeyError } from '../shared/errors.js';
import { newId } from '../shared/ids.js';
import type { Access } from './access.js';
import type { AccessRepository, GrantInput, OrgDirectory } from './access-ports.js';
import type { Org, OrgRepository } from './orgs.js';
import type { PermissionRepository, UserRepository } from './ports.js';
import { ADMIN_ROLE } from './system-permissions.js';
import type { User } from './types.js';

export interface OrgManagementSettings {
  /** Any signed-in user may create orgs (and becomes their admin); otherwise it needs global yeep.org.write. */
  creationOpen: boolean;
}

export interface GrantRequest {
  id: string;
  resourceId?: string | undefined;
}

export function orgNotFound(id: string): LatchkeyError {
  return new LatchkeyError('org_not_found', `Org "${id}" does not exist`);
}

export function userNotFound(): LatchkeyError {
  return new LatchkeyError('user_not_found', 'User does not exist');
}

/**
 * Checks that each permission and role exists and may be granted in `orgId` (objects
 * scoped to another org may not), and returns them as grants. Shared by org.addMember
 * and invitations.
 */
export async function grantsFor(
  access: AccessRepository,
  appId: string,
  orgId: string,
  permissions: readonly GrantRequest[],
  roles: readonly GrantRequest[],
): Promise<{ permissions: GrantInput[]; roles: GrantInput[] }> {
  const foundPermissions = new Map(
    (await access.findPermissions(appId, [...new Set(permissions.map((p) => p.id))])).map((p) => [p.id, p]),
  );
  for (const p of permissions) {
    const found = foundPermissions.get(p.id);
    if (!found) throw new LatchkeyError('permission_not_found', `Permission "${p.id}" does not exist`);
    if (found.scopeOrgId !== null && found.scopeOrgId !== orgId) {
      throw new LatchkeyError(
        'invalid_permission_assignment',
        `Permission "${p.id}" cannot be assigned to the designated org`,
      );
    }
  }
  const foundRoles = new Map(
    (await access.findRoles(appId, [...new Set(roles.map((r) => r.id))])).map((r) => [r.id, r]),
  );
  for (const r of roles) {
    const found = foundRoles.get(r.id);
    if (!found) throw new LatchkeyError('role_not_found', `Role "${r.id}" does not exist`);
    if (found.scopeOrgId !== null && found.scopeOrgId !== orgId) {
      throw new LatchkeyError(
        'invalid_role_assignment',
        `Role "${r.id}" cannot be assigned to the designated org`,
      );
    }
  }
  const asGrant = (g: GrantRequest): GrantInput => ({ id: g.id, resourceId: g.resourceId ?? '' });
  return { permissions: permissions.map(asGrant), roles: roles.map(asGrant) };
}

/**
 * Organisations as the rpc dialect manages them: create (the creator becomes the org's
 * admin), rename, delete, list, and memberships that carry grants and may expire. Every
 * method checks the caller's permissions, globally or in the org concerned, after the
 * objects it names were found (so "does not exist" comes before "not allowed").
 */
export class OrgManagement {
  constructor(
    private readonly orgs: OrgRepository,
    private readonly directory: OrgDirectory,
    private readonly access: AccessRepository,
    private readonly permissions: PermissionRepository,
    private readonly users: UserRepository,
    private readonly clock: Clock,
    private readonly settings: OrgManagementSettings,
  ) {}

  async get(appId: string, id: string): Promise<Org> {
    const org = await this.orgs.findById(appId, id);
    if (!org) throw orgNotFound(id);
    return org;
  }

  private async user(appId: string, id: string): Promise<User> {
    const user = await this.users.findById(appId, id);
    if (!user) throw userNotFound();
    return user;
  }

  async create(appId: string, caller: Access, input: { name: string; slug: string }): Promise<Org> {
    if (!this.settings.creationOpen) caller.require('yeep.org.write');
    const now = this.clock.now();
    const slug = input.slug.toLowerCase();
    const org: Org = {
      id: newId(),
      appId,
      name: input.name,
      slug,
      domain: null,
      createdAt: now,
      updatedAt: now,
    };
    try {
      await this.orgs.create(org);
    } catch (err) {
      if (isLatchkeyError(err) && err.code === 'conflict') throw duplicateOrg(slug);
      throw err;
    }
    // The creator runs the org: a member holding the admin role in it (not globally).
    await this.directory.join({
      appId,
      orgId: org.id,
      userId: caller.userId,
      now,
      expiresAt: null,
      permissions: [],
      roles: [],
    });
    await this.permissions.grantRoleByName(appId, caller.userId, ADMIN_ROLE, org.id, now);
    return org;
  }

  async info(appId: string, caller: Access, id: string): Promise<Org> {
    const org = await this.get(appId, id);
    if (!caller.has('yeep.org.read', [id])) caller.require('yeep.org.write', [id]);
    return org;
  }

  async update(
    appId: string,
    caller: Access,
    id: string,
    patch: { name?: string; slug?: string },
  ): Promise<Org> {
    await this.get(appId, id);
    caller.require('yeep.org.write', [id]);
    const slug = patch.slug?.toLowerCase();
    try {
      const updated = await this.orgs.update(
        appId,
        id,
        {
          ...(patch.name !== undefined ? { name: patch.name } : {}),
          ...(slug !== undefined ? { slug } : {}),
        },
        this.clock.now(),
      );
      if (!updated) throw orgNotFound(id);
      return updated;
    } catch (err) {
      if (isLatchkeyError(err) && err.code === 'conflict') throw duplicateOrg(slug ?? '');
      throw err;
    }
  }

  async delete(appId: string, caller: Access, id: string): Promise<void> {
    await this.get(appId, id);
    caller.require('yeep.org.write', [id]);
    if (!(await this.directory.deleteOrg(appId, id))) throw orgNotFound(id);
  }

  /**
   * Orgs the caller may read (yeep.org.read, globally or per org). With `userId`, only
   * that user's orgs: your own always; another user's with yeep.user.read and an
   * assignment-read permission in a scope you share with them.
   */
  async list(
    appId: string,
    caller: Access,
    query: { q?: string; limit: number; afterId?: string; userId?: string },
  ): Promise<{ orgs: Org[]; count: number; hasMore: boolean }> {
    const now = this.clock.now();
    let scopes: 'all' | string[] = caller.reach('yeep.org.read');
    if (query.userId !== undefined) {
      await this.user(appId, query.userId);
      if (query.userId === caller.userId) scopes = 'all';
      else {
        const theirs = (await this.directory.liveOrgIds([query.userId], now)).get(query.userId) ?? [];
        const scope = [...theirs, null];
        const allowed = scope.some(
          (o) =>
            caller.has('yeep.user.read', o === null ? [] : [o]) &&
            (caller.has('yeep.permission.assignment.read', o === null ? [] : [o]) ||
              caller.has('yeep.role.assignment.read', o === null ? [] : [o])),
        );
        if (!allowed) {
          throw new LatchkeyError(
            'forbidden',
            `User "${caller.userId}" is not allowed to list orgs that user "${query.userId}" is member of`,
          );
        }
      }
    }
    const filter = {
      scopes,
      now,
      ...(query.q ? { q: query.q } : {}),
      ...(query.userId !== undefined ? { memberId: query.userId } : {}),
    };
    const page = await this.directory.search(appId, {
      ...filter,
      limit: query.limit + 1,
      ...(query.afterId ? { afterId: query.afterId } : {}),
    });
    return {
      orgs: page.slice(0, query.limit),
      count: await this.directory.count(appId, filter),
      hasMore: page.length > query.limit,
    };
  }

  async addMember(
    appId: string,
    caller: Access,
    input: {
      orgId: string;
      userId: string;
      permissions: readonly GrantRequest[];
      roles: readonly GrantRequest[];
      expiresInSeconds?: number | undefined;
    },
  ): Promise<void> {
    await this.get(appId, input.orgId);
    await this.user(appId, input.userId);
    caller.require('yeep.user.write', [input.orgId]);
    if (input.permissions.length > 0) caller.require('yeep.permission.assignment.write', [input.orgId]);
    if (input.roles.length > 0) caller.require('yeep.role.assignment.write', [input.orgId]);
    const existing = await this.directory.membership(input.orgId, input.userId);
    const now = this.clock.now();
    if (existing && (existing.expiresAt === null || existing.expiresAt > now))
      throw duplicateMembership(input);
    const grants = await grantsFor(this.access, appId, input.orgId, input.permissions, input.roles);
    const joined = await this.directory.join({
      appId,
      orgId: input.orgId,
      userId: input.userId,
      now,
      expiresAt: input.expiresInSeconds ? now + input.expiresInSeconds * 1000 : null,
      ...grants,
    });
    if (!joined) throw duplicateMembership(input);
  }

  async removeMember(appId: string, caller: Access, input: { orgId: string; userId: string }): Promise<void> {
    await this.get(appId, input.orgId);
    await this.user(appId, input.userId);
    caller.require('yeep.user.write', [input.orgId]);
    if (!(await this.directory.leave(appId, input.orgId, input.userId))) {
      throw new LatchkeyError(
        'membership_not_found',
        `User "${input.userId}" is not a member of org "${input.orgId}"`,
      );
    }
  }

  /** Adds a new user to orgs (user.create's `orgs`); every org must exist. */
  async enrol(appId: string, userId: string, orgIds: readonly string[]): Promise<void> {
    const now = this.clock.now();
    for (const orgId of new Set(orgIds)) {
      await this.directory.join({ appId, orgId, userId, now, expiresAt: null, permissions: [], roles: [] });
    }
  }

  /** Each user's orgs (live memberships), in the order joined. */
  orgIdsOf(userIds: readonly string[]): Promise<Map<string, string[]>> {
    return this.directory.liveOrgIds(userIds, this.clock.now());
  }

  /** One user's live org ids if the per-process cache holds them now (see OrgDirectory.peekLiveOrgIds). */
  peekOrgIdsOf(userId: string): string[] | undefined {
    return this.directory.peekLiveOrgIds?.(userId, this.clock.now());
  }

  async isMember(orgId: string, userId: string): Promise<boolean> {
    const m = await this.directory.membership(orgId, userId);
    return m !== null && (m.expiresAt === null || m.expiresAt > this.clock.now());
  }
}

function duplicateOrg(slug: string): LatchkeyError {
  return new LatchkeyError('duplicate_org', `Org "${slug}" already exists`);
}

function duplicateMembership(input: { orgId: string; userId: string }): LatchkeyError {
  return new LatchkeyError(
    'duplicate_membership',
    `User "${input.userId}" is already a member of org "${input.orgId}"`,
  );
}
