import type { Clock } from '../shared/clock.js';
import type { SessionRepository } from './ports.js';
import type { RevocationList } from './revocation.js';

/**
 * Keeps the in-memory revoked set in step with revocations made by other processes
 * (the CLI, another node without Redis): every `intervalMs` it reads the sessions
 * revoked since the last look. The window overlaps by `overlapMs` so a revocation
 * committed a little late, or stamped by a slightly slower clock, is not missed.
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
      try {
        for (const { id, revokedAt } of await this.repo.listRevokedSince(since)) this.list.add(id, revokedAt);
        this.watermark = Math.max(since, startedAt - this.overlapMs);
      } catch (err) {
        this.onError(err);
      } finally {
        this.running = null;
      }
    })();
    return this.running;
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.running;
  }
}
