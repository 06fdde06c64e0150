import type { Clock } from '../shared/clock.js';
import type { SessionRepository } from './ports.js';

/** Sessions deleted per statement (with their credentials, by cascade). */
export const PURGE_BATCH = 500;

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
    private readonly batch = PURGE_BATCH,
  ) {}

  /**
   * Deletes what ended before the horizon, in batches with a turn of the event loop
   * between them: a first purge may find a long backlog, and on SQLite each statement
   * holds the event loop (and the write lock) while it runs. Returns how many sessions.
   */
  async purgeOnce(): Promise<number> {
    const before = this.clock.now() - this.keepMs;
    let total = 0;
    for (;;) {
      const deleted = await this.repo.deleteEndedBefore(before, this.batch);
      total += deleted;
      if (deleted < this.batch) return total;
      await new Promise((resolve) => setImmediate(resolve));
    }
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
