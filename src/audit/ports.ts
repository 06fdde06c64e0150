import type { AuditEvent, AuditQuery } from './types.js';

export interface AuditRepository {
  insert(event: AuditEvent): Promise<void>;
  /** Newest first. */
  list(query: AuditQuery): Promise<AuditEvent[]>;
  deleteBefore(at: number): Promise<number>;
}
