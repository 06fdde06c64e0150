export { AuditLog } from './log.js';
export type { AuditRepository } from './ports.js';
export type { AuditEvent, AuditEventType, AuditQuery } from './types.js';
