import type { Kysely } from 'kysely';
import type { Org, OrgPatch, OrgRepository } from '../../../identity/orgs.js';
import { LatchkeyError } from '../../../shared/errors.js';
import { isUniqueViolation } from '../database.js';
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

/** Names what collided, from the constraint (PostgreSQL) or the message (SQLite). */
function conflict(err: unknown): never {
  const text = String(
    (err as { constraint?: string }).constraint ?? (err as { message?: string }).message ?? '',
  );
  if (/domain/i.test(text)) throw new LatchkeyError('conflict', 'An org of that domain already exists');
  throw new LatchkeyError('conflict', 'An org with that slug already exists');
}

export class SqlOrgRepository implements OrgRepository {
  constructor(private readonly db: Kysely<Database>) {}

  async create(org: Org): Promise<void> {
    try {
      await this.db
        .insertInto('orgs')
        .values({
          id: org.id,
          app_id: org.appId,
          name: org.name,
          slug: org.slug,
          domain: org.domain,
          created_at: org.createdAt,
          updated_at: org.updatedAt,
        })
        .execute();
    } catch (err) {
      if (isUniqueViolation(err)) conflict(err);
      throw err;
    }
  }

  async findById(appId: string, id: string): Promise<Org | null> {
    const row = await this.db
      .selectFrom('orgs')
      .selectAll()
      .where('app_id', '=', appId)
      .where('id', '=', id)
      .executeTakeFirst();
    return row ? toOrg(row) : null;
  }

  async findBySlug(appId: string, slug: string): Promise<Org | null> {
    const row = await this.db
      .selectFrom('orgs')
      .selectAll()
      .where('app_id', '=', appId)
      .where('slug', '=', slug)
      .executeTakeFirst();
    return row ? toOrg(row) : null;
  }

  async findByDomain(appId: string, domain: string): Promise<Org | null> {
    const row = await this.db
      .selectFrom('orgs')
      .selectAll()
      .where('app_id', '=', appId)
      .where('domain', '=', domain)
      .executeTakeFirst();
    return row ? toOrg(row) : null;
  }

  async list(appId: string, query: { limit: number; afterId?: string }): Promise<Org[]> {
    let q = this.db.selectFrom('orgs').selectAll().where('app_id', '=', appId);
    if (query.afterId !== undefined) q = q.where('id', '>', query.afterId);
    const rows = await q.orderBy('id').limit(query.limit).execute();
    return rows.map(toOrg);
  }

  async update(appId: string, id: string, patch: OrgPatch, now: number): Promise<Org | null> {
    const values: Partial<OrgsTable> = { updated_at: now };
    if (patch.name !== undefined) values.name = patch.name;
    if (patch.slug !== undefined) values.slug = patch.slug;
    try {
      const result = await this.db
        .updateTable('orgs')
        .set(values)
        .where('app_id', '=', appId)
        .where('id', '=', id)
        .executeTakeFirst();
      if (Number(result.numUpdatedRows) === 0) return null;
    } catch (err) {
      if (isUniqueViolation(err)) conflict(err);
      throw err;
    }
    return this.findById(appId, id);
  }

  async delete(appId: string, id: string): Promise<boolean> {
    // Memberships go with it (ON DELETE CASCADE).
    const result = await this.db
      .deleteFrom('orgs')
      .where('app_id', '=', appId)
      .where('id', '=', id)
      .executeTakeFirst();
    return Number(result.numDeletedRows) > 0;
  }

  async addMember(orgId: string, userId: string, now: number): Promise<boolean> {
    // ON CONFLICT DO NOTHING makes concurrent joins of one user agree without an error.
    const result = await this.db
      .insertInto('org_memberships')
      .values({ org_id: orgId, user_id: userId, created_at: now })
      .onConflict((oc) => oc.columns(['org_id', 'user_id']).doNothing())
      .executeTakeFirst();
    return Number(result.numInsertedOrUpdatedRows ?? 0n) > 0;
  }

  async removeMember(orgId: string, userId: string): Promise<boolean> {
    const result = await this.db
      .deleteFrom('org_memberships')
      .where('org_id', '=', orgId)
      .where('user_id', '=', userId)
      .executeTakeFirst();
    return Number(result.numDeletedRows) > 0;
  }

  async listForUser(appId: string, userId: string): Promise<Org[]> {
    const rows = await this.db
      .selectFrom('org_memberships')
      .innerJoin('orgs', 'orgs.id', 'org_memberships.org_id')
      .selectAll('orgs')
      .where('org_memberships.user_id', '=', userId)
      .where('orgs.app_id', '=', appId)
      .orderBy('org_memberships.created_at')
      .orderBy('orgs.id')
      .execute();
    return rows.map(toOrg);
  }

  async listMembers(orgId: string, query: { limit: number; afterUserId?: string }): Promise<string[]> {
    let q = this.db.selectFrom('org_memberships').select('user_id').where('org_id', '=', orgId);
    if (query.afterUserId !== undefined) q = q.where('user_id', '>', query.afterUserId);
    const rows = await q.orderBy('user_id').limit(query.limit).execute();
    return rows.map((r) => r.user_id);
  }
}
