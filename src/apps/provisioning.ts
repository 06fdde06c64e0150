import type { Clock } from '../shared/clock.js';
import type { ProfileRepository } from './ports.js';
import type { Job, SubjectKind } from './types.js';
import { FIRST_PROFILE_BASE, profileWsid } from './wsid.js';

/** What a provisioning step is told about the workspace it prepares. */
export interface ProvisionRequest {
  appId: string;
  userId: string;
  login: string;
  subjectKind: SubjectKind;
  wsid: number;
}

/**
 * The app-specific part of provisioning a profile workspace. Latchkey's own part is
 * allocating the WSID; a deployment that embeds Latchkey can plug further work in
 * here (create the workspace in its own backend, ...). It must be idempotent: after a
 * crash or a retry it runs again for the same WSID. A throw marks the profile failed.
 */
export type ProfileProvisioner = (request: ProvisionRequest) => Promise<void>;

export interface ProvisioningSettings {
  /** How often the worker looks for due jobs. */
  pollMs: number;
  /** How long a claimed job is ours; past it (our process died), another worker takes it over. */
  leaseMs: number;
}

/** One job at a time: a claimed job is one being worked on, so a stop leaves nothing else waiting for a lease. */
const BATCH = 1;

/**
 * The durable background worker that provisions profile workspaces. Jobs live in the
 * database, so a job survives a restart: a job never started is picked up at once,
 * a job that was running when its process stopped is picked up again once its lease
 * expires. Any number of workers (nodes) can run: each job is claimed by
 * compare-and-swap, and only the holder of the current lease may finish it.
 */
export class ProvisioningWorker {
  provision: ProfileProvisioner = async () => {};
  onError: (err: unknown, context: string) => void = () => {};
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<number> | null = null;
  private rerun: Promise<number> | null = null;
  private stopped = false;
  private stopSignal: Promise<void>;
  private signalStop: () => void = () => {};

  constructor(
    private readonly repo: ProfileRepository,
    private readonly clock: Clock,
    private readonly settings: ProvisioningSettings,
  ) {
    this.stopSignal = new Promise((resolve) => {
      this.signalStop = resolve;
    });
  }

  get started(): boolean {
    return this.timer !== null;
  }

  start(): void {
    if (this.timer || this.stopped) return;
    this.timer = setInterval(() => void this.runDue(), this.settings.pollMs);
    this.timer.unref();
    setImmediate(() => void this.runDue());
  }

  /** A job was queued: run it soon, outside the request, when this process runs jobs. */
  kick(): void {
    if (this.timer) setImmediate(() => void this.runDue());
  }

  /**
   * Runs every job due now and resolves with how many finished (done or failed).
   * A call made while a pass runs gets a fresh pass after it, so it sees jobs queued meanwhile.
   */
  runDue(): Promise<number> {
    if (this.stopped) return Promise.resolve(0);
    if (this.running) {
      this.rerun ??= this.running.then(() => {
        this.rerun = null;
        return this.runDue();
      });
      return this.rerun;
    }
    this.running = this.pass().finally(() => {
      this.running = null;
    });
    return this.running;
  }

  private async pass(): Promise<number> {
    let finished = 0;
    try {
      while (!this.stopped) {
        const jobs = await this.repo.claimDueJobs(this.clock.now(), this.settings.leaseMs, BATCH);
        if (jobs.length === 0) break;
        for (const job of jobs) {
          if (this.stopped) break;
          if (await this.run(job)) finished++;
        }
      }
    } catch (err) {
      this.onError(err, 'claiming provisioning jobs');
    }
    return finished;
  }

  /** Runs one claimed job; false when it was abandoned (stopping) or its lease was lost. */
  private async run(job: Job): Promise<boolean> {
    const lease = job.lockedUntil!;
    try {
      const profile = await this.repo.findProfile(job.appId, job.userId);
      if (!profile) return this.repo.completeJob(job.id, lease, this.clock.now());
      let wsid = profile.wsid;
      if (wsid === null) {
        // Allocated once: a retry or a takeover finds it on the profile and reuses it.
        const candidate = profileWsid(await this.repo.nextWsidBase(job.appId, FIRST_PROFILE_BASE));
        wsid = await this.repo.assignWsid(job.userId, candidate, this.clock.now());
        if (wsid === null) return this.repo.completeJob(job.id, lease, this.clock.now());
      }
      const outcome = await Promise.race([
        Promise.resolve({
          appId: job.appId,
          userId: job.userId,
          login: profile.login,
          subjectKind: profile.subjectKind,
          wsid,
        })
          .then((request) => this.provision(request))
          .then(() => 'done' as const),
        this.stopSignal.then(() => 'stopping' as const),
      ]);
      // Shutting down mid-job: leave it claimed; its lease runs out and a worker picks it up again.
      if (outcome === 'stopping') return false;
      return await this.repo.completeJob(job.id, lease, this.clock.now());
    } catch (err) {
      if (this.stopped) return false;
      const message = String((err as Error)?.message ?? err).slice(0, 500) || 'unknown error';
      try {
        return await this.repo.failJob(job.id, lease, message, this.clock.now());
      } catch (storeErr) {
        // The job keeps its lease and is taken over when it runs out.
        this.onError(storeErr, `recording the failure of job ${job.id}`);
        return false;
      } finally {
        this.onError(err, `provisioning job ${job.id}`);
      }
    }
  }

  /** Stops polling; a job in its provisioning step is abandoned (and taken over later), not awaited. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.signalStop();
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.running?.catch(() => {});
  }
}
