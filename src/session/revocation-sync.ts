import type { Clock } from '../shared/clock.js';
import type { SessionRepository } from './ports.js';
import type { RevocationList } from './revocation.js';

/**
 * Keeps the in-memory revoked set in step with revocations made by other processes
 * (the CLI, another node without Redis): every `intervalMs` it reads the sessions
 * revoked since the last look. The window overlaps by `overlapMs` so a revocation
 * committed a little late, or stamped by a slightly slower clock, is not missed.
 * A revocation scheduled for later (a pending deactivation) is listed on every look
 * until it takes effect, so one that no longer is has been cancelled: it is dropped
 * (and one listed at another time was rescheduled: it takes the store's time).
 *
 * `list` is this process's own set, never a broadcasting one: what the database says,
 * every node reads for itself, and re-publishing it would multiply the messages.
 */
export class RevocationSync {
  private timer: NodeJS.Timeout | null = null;
  private watermark: number;
  private running: Promise<void> | null = null;
  onError: (err: unknown) => void = () => {};

  constructor(
    private readonly repo: SessionRepository,
    private readonly list: RevocationList,
    private readonly clock: Clock,
    private readonly intervalMs = 1000,
    private readonly overlapMs = 5000,
  ) {
    this.watermark = clock.now() - overlapMs;
  }

  /** At start-up: every revocation whose tokens may still be alive (`horizonMs`). */
  async prime(horizonMs: number): Promise<void> {
    for (const { id, revokedAt } of await this.repo.listRevokedSince(this.clock.now() - horizonMs)) {
      this.list.add(id, revokedAt);
    }
  }

  start(): void {
    if (this.timer) return;
    this.timer = setInterval(() => void this.pollOnce(), this.intervalMs);
    this.timer.unref();
  }

  /** One look at the store; concurrent calls share the same look. */
  pollOnce(): Promise<void> {
    this.running ??= (async () => {
      const since = this.watermark;
      const startedAt = this.clock.now();
      const scheduled = this.list.scheduledAfter(startedAt);
      try {
        const revoked = await this.repo.listRevokedSince(since);
        for (const { id, revokedAt } of revoked) this.list.add(id, revokedAt);
        this.reconcileScheduled(startedAt, scheduled, revoked);
        this.watermark = Math.max(since, startedAt - this.overlapMs);
      } catch (err) {
        this.onError(err);
      } finally {
        this.running = null;
      }
    })();
    return this.running;
  }

  /**
   * For revocations scheduled for later, the store's time is the truth: one no longer
   * listed was cancelled, one listed at another time was moved. Two guards keep a live
   * revocation from being undone: an entry that changed while the store was read (a
   * sign-out now, a message from another node) is left as it is, and one this node has
   * had for less than `overlapMs` is not taken for cancelled (its write, or the one a
   * message announced, may not have committed when the look began).
   */
  private reconcileScheduled(
    startedAt: number,
    scheduled: Array<{ id: string; at: number; since: number }>,
    revoked: Array<{ id: string; revokedAt: number }>,
  ): void {
    if (scheduled.length === 0) return;
    const listed = new Map(revoked.map((r) => [r.id, r.revokedAt]));
    for (const { id, at, since } of scheduled) {
      if (this.list.revokedAt(id) !== at) continue;
      const stored = listed.get(id);
      if (stored === undefined) {
        if (startedAt - since >= this.overlapMs) this.list.cancel(id);
      } else if (stored !== at) {
        this.list.cancel(id);
        this.list.add(id, stored);
      }
    }
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.running;
  }
}
