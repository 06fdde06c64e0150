import { LRUCache } from 'lru-cache';
import type { LiveMembership, OrgDirectory } from './access-ports.js';
import type { OrgRepository } from './orgs.js';

/** A change another node must hear of: one user's memberships, or every user's (an org was deleted). */
export type MembershipChange = { userId: string } | 'all';

/**
 * A per-process cache of each user's live memberships, the one read left on the hot
 * "who am I" path (user.info shows the caller's orgs). Both repositories that write
 * memberships go through `directory()` / `repository()`, which evict on every write
 * in this process; `onChange` lets other nodes evict theirs (the bus), and entries
 * live at most `ttlMs`, so a change made where no message reaches (the CLI) shows
 * within that time. Each membership keeps its end, so one that lapses stops counting
 * at its exact millisecond, cached or not (reading a user through an org depends on it).
 */
export class MembershipCache {
  private readonly byUser: LRUCache<string, readonly LiveMembership[]>;
  /** Bumped on every eviction: a load that started before one must not store its answer. */
  private generation = 0;
  onChange: (change: MembershipChange) => void = () => {};

  constructor(options: { max?: number; ttlMs?: number } = {}) {
    this.byUser = new LRUCache({ max: options.max ?? 10_000, ttl: options.ttlMs ?? 5000 });
  }

  evict(userId: string): void {
    this.generation++;
    this.byUser.delete(userId);
  }

  clear(): void {
    this.generation++;
    this.byUser.clear();
  }

  /** Forgets what `change` touched, as told by another node. */
  apply(change: MembershipChange): void {
    if (change === 'all') this.clear();
    else this.evict(change.userId);
  }

  private changed(change: MembershipChange): void {
    this.apply(change);
    this.onChange(change);
  }

  /** A membership write, then its eviction: after it settles, failed ones too (they may have happened). */
  private evicting<T>(write: Promise<T>, change: MembershipChange): Promise<T> {
    return write.finally(() => this.changed(change));
  }

  /** Each user's memberships as cached (or loaded and cached now), expired ones included. */
  private async cachedMemberships(
    inner: OrgDirectory,
    userIds: readonly string[],
    now: number,
  ): Promise<Map<string, readonly LiveMembership[]>> {
    const found = new Map<string, readonly LiveMembership[]>();
    const missing: string[] = [];
    for (const id of userIds) {
      const cached = this.byUser.get(id);
      if (cached) found.set(id, cached);
      else missing.push(id);
    }
    if (missing.length > 0) {
      const generation = this.generation;
      const loaded = await inner.liveMemberships(missing, now);
      for (const id of missing) {
        const memberships = loaded.get(id) ?? [];
        if (generation === this.generation) this.byUser.set(id, memberships);
        found.set(id, memberships);
      }
    }
    return found;
  }

  private async liveMemberships(
    inner: OrgDirectory,
    userIds: readonly string[],
    now: number,
  ): Promise<Map<string, LiveMembership[]>> {
    const found = await this.cachedMemberships(inner, userIds, now);
    // In the order asked, as the repository answers; copies, so callers cannot change the cache.
    return new Map(
      userIds.map((id) => [id, (found.get(id) ?? []).filter((m) => isLive(m, now)).map((m) => ({ ...m }))]),
    );
  }

  /** Org ids only (the token check's read): strings need no defensive copies of the memberships. */
  private async liveOrgIds(
    inner: OrgDirectory,
    userIds: readonly string[],
    now: number,
  ): Promise<Map<string, string[]>> {
    const found = await this.cachedMemberships(inner, userIds, now);
    const orgIds = new Map<string, string[]>();
    for (const id of userIds) orgIds.set(id, liveOrgIdsOf(found.get(id) ?? [], now));
    return orgIds;
  }

  /** The org directory, reading org ids through the cache and evicting on every write. */
  directory(inner: OrgDirectory): OrgDirectory {
    return {
      search: (appId, query) => inner.search(appId, query),
      count: (appId, query) => inner.count(appId, query),
      membership: (orgId, userId) => inner.membership(orgId, userId),
      liveMemberships: (userIds, now) => this.liveMemberships(inner, userIds, now),
      liveOrgIds: (userIds, now) => this.liveOrgIds(inner, userIds, now),
      peekLiveOrgIds: (userId, now) => {
        const cached = this.byUser.get(userId);
        return cached && liveOrgIdsOf(cached, now);
      },
      join: (input) => this.evicting(inner.join(input), { userId: input.userId }),
      leave: (appId, orgId, userId) => this.evicting(inner.leave(appId, orgId, userId), { userId }),
      deleteOrg: (appId, orgId) => this.evicting(inner.deleteOrg(appId, orgId), 'all'),
    };
  }

  /** The org repository (orgs by email domain), evicting on every membership write. */
  repository(inner: OrgRepository): OrgRepository {
    return {
      create: (org) => inner.create(org),
      findById: (appId, id) => inner.findById(appId, id),
      findBySlug: (appId, slug) => inner.findBySlug(appId, slug),
      findByDomain: (appId, domain) => inner.findByDomain(appId, domain),
      list: (appId, query) => inner.list(appId, query),
      update: (appId, id, patch, now) => inner.update(appId, id, patch, now),
      delete: (appId, id) => this.evicting(inner.delete(appId, id), 'all'),
      addMember: (orgId, userId, now) => this.evicting(inner.addMember(orgId, userId, now), { userId }),
      removeMember: (orgId, userId) => this.evicting(inner.removeMember(orgId, userId), { userId }),
      listForUser: (appId, userId) => inner.listForUser(appId, userId),
      listMembers: (orgId, query) => inner.listMembers(orgId, query),
    };
  }
}

function isLive(membership: LiveMembership, now: number): boolean {
  return membership.expiresAt === null || membership.expiresAt > now;
}

function liveOrgIdsOf(memberships: readonly LiveMembership[], now: number): string[] {
  const live: string[] = [];
  for (const m of memberships) if (isLive(m, now)) live.push(m.orgId);
  return live;
}
