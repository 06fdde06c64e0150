import type { Clock } from '../shared/clock.js';
import type { SessionRepository } from './ports.js';

/**
 * Deletes sessions that ended (expired or revoked) longer ago than any token of theirs
 * can live, with the revocations retained beyond deleted users: nothing in them can be
 * presented successfully any more, and the table would otherwise only grow. Hourly.
 */
export class SessionPurge {
  private timer: NodeJS.Timeout | null = null;
  onError: (err: unknown) => void = () => {};

  constructor(
    private readonly repo: SessionRepository,
    private readonly clock: Clock,
    /** The longest a token can outlive its session's end (the token lifetimes and the skew). */
    private readonly keepMs: number,
    private readonly intervalMs = 3600_000,
  ) {}

  /** Deletes what ended before the horizon; returns how many sessions. */
  purgeOnce(): Promise<number> {
    return this.repo.deleteEndedBefore(this.clock.now() - this.keepMs);
  }

  start(): void {
    if (this.timer) return;
    this.timer = setInterval(() => void this.purgeOnce().catch(this.onError), this.intervalMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }
}
