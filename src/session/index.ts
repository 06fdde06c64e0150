export type { RotationRequest, SessionRepository } from './ports.js';
export { MemoryRevocationList, type RevocationList } from './revocation.js';
export {
  type CredentialFactory,
  type IssuedCredential,
  type RefreshOutcome,
  type SessionEvent,
  SessionService,
} from './service.js';
export {
  type ClientInfo,
  isSessionLive,
  type Session,
  type SessionCredential,
  type SessionKind,
  sessionAmr,
} from './types.js';
