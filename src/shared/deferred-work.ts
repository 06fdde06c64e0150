interface Job {
  run: () => Promise<void>;
  resolve: () => void;
  reject: (err: unknown) => void;
}

/**
 * Where work that depends on a secret runs: a password reset looks the account up and,
 * only when it exists, stores a token and queues a mail. Run right after the answer, that
 * work held the event loop for the next request (a `GET /healthz` sent just after a reset
 * request took 6-9 ms for an existing account against 2 ms for a missing one), so a
 * stranger could tell accounts apart by the delay of their own next request.
 *
 * Jobs queued here wait for the lane's own tick, on a fixed grid of `intervalMs` that no
 * request chooses (a multiple of the interval since the epoch), and then run one after
 * another. The request that asked for the work and the requests right after it never pay
 * for it; what runs at a tick is every job queued meanwhile, unattributed to any one caller.
 */
export class DeferredWork {
  private queue: Job[] = [];
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<void> | null = null;
  private waiting: Array<() => void> = [];

  constructor(private readonly intervalMs: number) {}

  /** Queues `run` for the next tick; the promise settles when it has run. */
  run(run: () => Promise<void>): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.queue.push({ run, resolve, reject });
      for (const wake of this.waiting.splice(0)) wake();
      this.timer ??= setTimeout(
        () => {
          this.timer = null;
          void this.drain();
        },
        this.intervalMs - (Date.now() % this.intervalMs),
      );
      // Never keeps a process alive that has nothing else to do; close() drains instead.
      this.timer.unref();
    });
  }

  /** Settles when the next job is queued (to drain work that joins the lane later). */
  nextQueued(): Promise<void> {
    return new Promise((resolve) => this.waiting.push(resolve));
  }

  /** Runs everything queued so far, now (tests, shutdown). */
  async drain(): Promise<void> {
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = null;
    }
    while (this.running) await this.running;
    if (this.queue.length === 0) return;
    const jobs = this.queue;
    this.queue = [];
    this.running = (async () => {
      for (const job of jobs) await job.run().then(job.resolve, job.reject);
    })();
    try {
      await this.running;
    } finally {
      this.running = null;
    }
    // Jobs queued while these ran wait for their own tick, unless drained again.
  }
}
