import type { Kysely } from 'kysely';
import type { AuditRepository } from '../../../audit/ports.js';
import type { AuditEvent, AuditEventType, AuditQuery } from '../../../audit/types.js';
import type { AuditEventsTable, Database } from '../schema.js';

const toEvent = (r: AuditEventsTable): AuditEvent => ({
  id: r.id,
  appId: r.app_id,
  userId: r.user_id,
  type: r.type as AuditEventType,
  ip: r.ip,
  userAgent: r.user_agent,
  requestId: r.request_id,
  dialect: r.dialect,
  details: JSON.parse(r.details) as Record<string, unknown>,
  at: r.at,
});

export class SqlAuditRepository implements AuditRepository {
  constructor(private readonly db: Kysely<Database>) {}

  async insert(e: AuditEvent): Promise<void> {
    await this.db
      .insertInto('audit_events')
      .values({
        id: e.id,
        app_id: e.appId,
        user_id: e.userId,
        type: e.type,
        ip: e.ip,
        user_agent: e.userAgent,
        request_id: e.requestId,
        dialect: e.dialect,
        details: JSON.stringify(e.details),
        at: e.at,
      })
      .execute();
  }

  async list(query: AuditQuery): Promise<AuditEvent[]> {
    let q = this.db.selectFrom('audit_events').selectAll();
    if (query.appId) q = q.where('app_id', '=', query.appId);
    if (query.userId) q = q.where('user_id', '=', query.userId);
    if (query.type) q = q.where('type', '=', query.type);
    if (query.since !== undefined) q = q.where('at', '>=', query.since);
    if (query.until !== undefined) q = q.where('at', '<', query.until);
    if (query.beforeId) {
      const anchor = await this.db
        .selectFrom('audit_events')
        .select(['at', 'id'])
        .where('id', '=', query.beforeId)
        .executeTakeFirst();
      if (anchor)
        q = q.where((eb) =>
          eb.or([eb('at', '<', anchor.at), eb.and([eb('at', '=', anchor.at), eb('id', '<', anchor.id)])]),
        );
    }
    const rows = await q.orderBy('at', 'desc').orderBy('id', 'desc').limit(query.limit).execute();
    return rows.map(toEvent);
  }

  async deleteBefore(at: number): Promise<number> {
    const result = await this.db.deleteFrom('audit_events').where('at', '<', at).executeTakeFirst();
    return Number(result.numDeletedRows);
  }
}
