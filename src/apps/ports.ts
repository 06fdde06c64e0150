import type { EmailCode, Job, JobStatus, Profile } from './types.js';

/** Storage of profile workspaces, their per-app WSID counters and the provisioning jobs. */
export interface ProfileRepository {
  /**
   * Creates the profile and its provisioning job in one transaction. False (and
   * nothing written) when the user has a profile already.
   */
  createWithJob(profile: Profile, job: Job): Promise<boolean>;
  findProfile(appId: string, userId: string): Promise<Profile | null>;
  /** Atomically takes the next WSID base of an app, starting at `firstBase`. */
  nextWsidBase(appId: string, firstBase: number): Promise<number>;
  /** Compare-and-swap: records a WSID on a profile that has none; returns the profile's WSID either way. */
  assignWsid(userId: string, wsid: number, now: number): Promise<number | null>;
  /**
   * Claims up to `limit` due jobs for `leaseMs`: pending ones whose time has come, and
   * running ones whose lease expired (their worker stopped). Compare-and-swap per row.
   */
  claimDueJobs(now: number, leaseMs: number, limit: number): Promise<Job[]>;
  /** Marks the job done and its profile ready, in one transaction; false if the lease was lost. */
  completeJob(jobId: string, lockedUntil: number, now: number): Promise<boolean>;
  /** Marks the job and its profile failed with the error, in one transaction; false if the lease was lost. */
  failJob(jobId: string, lockedUntil: number, error: string, now: number): Promise<boolean>;
  /** Puts a failed job (and its profile) back in the queue; false when it is not failed. */
  retryJob(appId: string, jobId: string, now: number): Promise<boolean>;
  findJob(appId: string, jobId: string): Promise<Job | null>;
  listJobs(
    appId: string,
    query: { status?: JobStatus; limit: number },
  ): Promise<Array<Job & { login: string }>>;
}

/** Storage of mailed email codes. */
export interface EmailCodeRepository {
  create(code: EmailCode): Promise<void>;
  /**
   * Counts one attempt on a live code of the app (unconsumed, unexpired, under
   * `maxAttempts`) and returns it; null when the app has no live code with this id.
   */
  countAttempt(appId: string, id: string, now: number, maxAttempts: number): Promise<EmailCode | null>;
  /** Compare-and-swap: consumes the code once; false when it was consumed (or expired) already. */
  consume(id: string, now: number): Promise<boolean>;
  /** Deletes codes that expired before `before`; returns how many. */
  deleteExpired(before: number): Promise<number>;
}

/**
 * Removing a tenant: every row that belongs to the app, in one transaction (all or
 * nothing), except the audit trail, which outlives what it describes.
 */
export interface TenantRepository {
  removeApp(appId: string): Promise<boolean>;
}
