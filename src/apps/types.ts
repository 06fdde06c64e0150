/** Who a principal token speaks for, as the reference numbers it. */
export const SUBJECT_KIND = { user: 1, device: 2 } as const;
export type SubjectKind = (typeof SUBJECT_KIND)[keyof typeof SUBJECT_KIND];

export type ProfileStatus = 'pending' | 'ready' | 'failed';

/**
 * The profile workspace of an app login: the numeric id (`profileWSID`) downstream
 * services key the login's data on. It is provisioned in the background after the
 * login is created; until it is ready the login cannot sign in (409), and a failed
 * provisioning (500) waits for an operator's retry.
 */
export interface Profile {
  userId: string;
  appId: string;
  /** The login as created (the user's username). */
  login: string;
  subjectKind: SubjectKind;
  /** Allocated by the provisioning job; null until then. */
  wsid: number | null;
  status: ProfileStatus;
  /** Why provisioning failed (status 'failed'). */
  error: string | null;
  createdAt: number;
  updatedAt: number;
}

export type JobStatus = 'pending' | 'running' | 'done' | 'failed';

/** A durable unit of background work (today: provisioning one profile workspace). */
export interface Job {
  id: string;
  appId: string;
  userId: string;
  kind: 'provision-profile';
  status: JobStatus;
  attempts: number;
  /** Not run before this time. */
  runAfter: number;
  /** A worker holds it until then; past it, another worker may take it over. */
  lockedUntil: number | null;
  lastError: string | null;
  createdAt: number;
  updatedAt: number;
}

/** A 6-digit code mailed to prove an address, kept only as a keyed hash. */
export interface EmailCode {
  /** The verification token handed to the client: the code is checked against this record only. */
  id: string;
  appId: string;
  email: string;
  codeHash: string;
  attempts: number;
  createdAt: number;
  expiresAt: number;
  consumedAt: number | null;
}
