import { type Kysely, sql } from 'kysely';
import type {
  GrantInput,
  LiveMembership,
  Membership,
  OrgDirectory,
  OrgQuery,
  Page,
} from '../../../identity/access-ports.js';
import type { Org } from '../../../identity/orgs.js';
import { newId } from '../../../shared/ids.js';
import type { Database, OrgsTable } from '../schema.js';

const toOrg = (r: OrgsTable): Org => ({
  id: r.id,
  appId: r.app_id,
  name: r.name,
  slug: r.slug,
  domain: r.domain,
  createdAt: r.created_at,
  updatedAt: r.updated_at,
});

/** A LIKE pattern for "starts with", with the wildcards of the prefix escaped. */
export function prefixPattern(prefix: string): string {
  return `${prefix.toLowerCase().replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
}

/**
 * Org administration over the general-purpose `orgs` and `org_memberships` tables (the
 * plain org repository is SqlOrgRepository): searching with counts, memberships that
 * expire, and membership changes that keep the org's grants consistent with them.
 */
export class SqlOrgDirectory implements OrgDirectory {
  constructor(private readonly db: Kysely<Database>) {}

  private filtered(appId: string, query: OrgQuery) {
    let q = this.db.selectFrom('orgs').where('orgs.app_id', '=', appId);
    if (query.scopes !== 'all') q = q.where('orgs.id', 'in', [...query.scopes]);
    if (query.q) {
      const pattern = prefixPattern(query.q);
      q = q.where((eb) =>
        eb.or([
          sql<boolean>`lower(orgs.name) like ${pattern} escape '\\'`,
          sql<boolean>`orgs.slug like ${pattern} escape '\\'`,
        ]),
      );
    }
    if (query.memberId !== undefined) {
      const memberId = query.memberId;
      q = q.where((eb) =>
        eb.exists(
          eb
            .selectFrom('org_memberships as m')
            .select('m.org_id')
            .whereRef('m.org_id', '=', 'orgs.id')
            .where('m.user_id', '=', memberId)
            .where((w) => w.or([w('m.expires_at', 'is', null), w('m.expires_at', '>', query.now)])),
        ),
      );
    }
    return q;
  }

  async search(appId: string, query: OrgQuery & Page): Promise<Org[]> {
    if (query.scopes !== 'all' && query.scopes.length === 0) return [];
    let q = this.filtered(appId, query).selectAll('orgs');
    if (query.afterId) q = q.where('orgs.id', '>', query.afterId);
    const rows = await q.orderBy('orgs.id').limit(query.limit).execute();
    return rows.map(toOrg);
  }

  async count(appId: string, query: OrgQuery): Promise<number> {
    if (query.scopes !== 'all' && query.scopes.length === 0) return 0;
    const row = await this.filtered(appId, query)
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .executeTakeFirst();
    return Number(row?.n ?? 0);
  }

  async membership(orgId: string, userId: string): Promise<Membership | null> {
    const row = await this.db
      .selectFrom('org_memberships')
      .selectAll()
      .where('org_id', '=', orgId)
      .where('user_id', '=', userId)
      .executeTakeFirst();
    if (!row) return null;
    return {
      orgId: row.org_id,
      userId: row.user_id,
      createdAt: row.created_at,
      expiresAt: row.expires_at ?? null,
    };
  }

  async liveOrgIds(userIds: readonly string[], now: number): Promise<Map<string, string[]>> {
    const live = await this.liveMemberships(userIds, now);
    return new Map([...live].map(([userId, memberships]) => [userId, memberships.map((m) => m.orgId)]));
  }

  async liveMemberships(userIds: readonly string[], now: number): Promise<Map<string, LiveMembership[]>> {
    const out = new Map<string, LiveMembership[]>(userIds.map((id) => [id, []]));
    if (userIds.length === 0) return out;
    const rows = await this.db
      .selectFrom('org_memberships')
      .select(['org_id', 'user_id', 'expires_at'])
      .where('user_id', 'in', [...userIds])
      .where((eb) => eb.or([eb('expires_at', 'is', null), eb('expires_at', '>', now)]))
      .orderBy('created_at')
      .orderBy('org_id')
      .execute();
    for (const r of rows) out.get(r.user_id)?.push({ orgId: r.org_id, expiresAt: r.expires_at ?? null });
    return out;
  }

  async join(input: {
    appId: string;
    orgId: string;
    userId: string;
    now: number;
    expiresAt: number | null;
    permissions: readonly GrantInput[];
    roles: readonly GrantInput[];
  }): Promise<boolean> {
    return this.db.transaction().execute(async (trx) => {
      const existing = await trx
        .selectFrom('org_memberships')
        .select('expires_at')
        .where('org_id', '=', input.orgId)
        .where('user_id', '=', input.userId)
        .executeTakeFirst();
      if (existing) {
        const expiresAt = existing.expires_at ?? null;
        if (expiresAt === null || expiresAt > input.now) return false;
        // An expired membership is over: start afresh, without the grants it carried.
        await this.removeMembership(trx, input.appId, input.orgId, input.userId);
      }
      // DO NOTHING instead of an error: a concurrent join of the same user then simply loses.
      const inserted = await trx
        .insertInto('org_memberships')
        .values({
          org_id: input.orgId,
          user_id: input.userId,
          created_at: input.now,
          expires_at: input.expiresAt,
        })
        .onConflict((oc) => oc.columns(['org_id', 'user_id']).doNothing())
        .executeTakeFirst();
      if (Number(inserted.numInsertedOrUpdatedRows ?? 0n) === 0) return false;
      if (input.permissions.length > 0) {
        await trx
          .insertInto('permission_grants')
          .values(
            input.permissions.map((p) => ({
              id: newId(),
              app_id: input.appId,
              user_id: input.userId,
              permission_id: p.id,
              org_id: input.orgId,
              resource_id: p.resourceId,
              created_at: input.now,
            })),
          )
          .onConflict((oc) => oc.columns(['user_id', 'permission_id', 'org_id', 'resource_id']).doNothing())
          .execute();
      }
      if (input.roles.length > 0) {
        await trx
          .insertInto('role_grants')
          .values(
            input.roles.map((r) => ({
              id: newId(),
              app_id: input.appId,
              user_id: input.userId,
              role_id: r.id,
              org_id: input.orgId,
              resource_id: r.resourceId,
              created_at: input.now,
            })),
          )
          .onConflict((oc) => oc.columns(['user_id', 'role_id', 'org_id', 'resource_id']).doNothing())
          .execute();
      }
      return true;
    });
  }

  private async removeMembership(
    trx: Kysely<Database>,
    appId: string,
    orgId: string,
    userId: string,
  ): Promise<boolean> {
    const deleted = await trx
      .deleteFrom('org_memberships')
      .where('org_id', '=', orgId)
      .where('user_id', '=', userId)
      .executeTakeFirst();
    for (const table of ['permission_grants', 'role_grants'] as const) {
      await trx
        .deleteFrom(table)
        .where('app_id', '=', appId)
        .where('user_id', '=', userId)
        .where('org_id', '=', orgId)
        .execute();
    }
    return Number(deleted.numDeletedRows) > 0;
  }

  async leave(appId: string, orgId: string, userId: string): Promise<boolean> {
    return this.db.transaction().execute((trx) => this.removeMembership(trx, appId, orgId, userId));
  }

  async deleteOrg(appId: string, orgId: string): Promise<boolean> {
    return this.db.transaction().execute(async (trx) => {
      for (const table of ['permission_grants', 'role_grants'] as const) {
        await trx.deleteFrom(table).where('app_id', '=', appId).where('org_id', '=', orgId).execute();
      }
      // Scoped permissions and roles exist only for their org; their grants and links cascade.
      for (const table of ['roles', 'permissions'] as const) {
        await trx.deleteFrom(table).where('app_id', '=', appId).where('scope_org_id', '=', orgId).execute();
      }
      // Memberships and pending invitations cascade with the org.
      const result = await trx
        .deleteFrom('orgs')
        .where('app_id', '=', appId)
        .where('id', '=', orgId)
        .executeTakeFirst();
      return Number(result.numDeletedRows) > 0;
    });
  }
}
