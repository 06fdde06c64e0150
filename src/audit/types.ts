export type AuditEventType =
  | 'signin.success'
  | 'signin.failure'
  | 'signin.throttled'
  | 'mfa.success'
  | 'mfa.failure'
  | 'refresh.reuse_detected'
  | 'session.revoked'
  | 'password.changed'
  | 'user.deactivated'
  | 'user.deleted'
  | 'email.released'
  | 'admin.action';

export interface AuditEvent {
  id: string;
  appId: string | null;
  userId: string | null;
  type: AuditEventType;
  /** Client address and agent of the request that caused it (null outside requests). */
  ip: string | null;
  userAgent: string | null;
  requestId: string | null;
  dialect: string | null;
  /** Small, secret-free facts: the reason, the factor type, the route of an admin action. */
  details: Record<string, unknown>;
  at: number;
}

export interface AuditQuery {
  appId?: string;
  userId?: string;
  type?: string;
  since?: number;
  until?: number;
  limit: number;
  /** Events strictly older than this id's position (newest first paging). */
  beforeId?: string;
}
