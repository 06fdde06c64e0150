export type SessionKind = 'rpc' | 'spa' | 'apps' | 'feathers';

export interface Session {
  id: string;
  appId: string;
  userId: string;
  kind: SessionKind;
  createdAt: number;
  /** Absolute end; refreshing never moves it. */
  expiresAt: number;
  revokedAt: number | null;
  revokeReason: string | null;
  clientIp: string | null;
  userAgent: string | null;
  /** Dialect data carried across refreshes (the rpc projection, the spa survey, ...). */
  data: Record<string, unknown>;
}

export interface SessionCredential {
  id: string;
  sessionId: string;
  /** SHA-256 of an opaque secret; null for signed (JWT) credentials. */
  secretHash: string | null;
  createdAt: number;
  rotatedAt: number | null;
  successorId: string | null;
  successorSealed: string | null;
  graceUntil: number | null;
}

export interface ClientInfo {
  ip: string | null;
  userAgent: string | null;
  /** The device token the client presents (cookie or header), for the sign-in throttle; never stored. */
  device?: string | null;
}

export function isSessionLive(session: Session, now: number): boolean {
  return session.expiresAt > now && (session.revokedAt === null || session.revokedAt > now);
}

/** Where a session keeps its `amr` among its data. */
export const AMR_KEY = 'amr';

/** The `amr` a session was started with; null for a session started without one (before it was recorded). */
export function sessionAmr(session: Session): string[] | null {
  const value = session.data[AMR_KEY];
  return Array.isArray(value) && value.length > 0 && value.every((v) => typeof v === 'string')
    ? [...value]
    : null;
}
