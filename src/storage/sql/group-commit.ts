interface Waiting<T, R> {
  item: T;
  resolve: (result: R) => void;
  reject: (err: unknown) => void;
}

/**
 * Group commit for an embedded store whose commits block the event loop (SQLite with
 * synchronous=FULL pays an fsync per transaction). Writes submitted while the previous
 * batch commits go together in the next transaction, so one fsync makes many of them
 * durable; nothing is acknowledged before its transaction commits.
 *
 * Between batches the loop yields to I/O (setImmediate), so requests that arrived
 * meanwhile join the next batch. When a batch fails as a whole, each of its writes
 * is retried alone, so one bad write never fails the others.
 */
export class GroupCommit<T, R> {
  private readonly pending: Array<Waiting<T, R>> = [];
  private draining = false;

  constructor(
    /** Runs the items in one transaction, in order, and answers each. */
    private readonly runBatch: (items: T[]) => Promise<R[]>,
    /** Runs one item in a transaction of its own. */
    private readonly runOne: (item: T) => Promise<R>,
    private readonly maxBatch = 64,
  ) {}

  submit(item: T): Promise<R> {
    return new Promise<R>((resolve, reject) => {
      this.pending.push({ item, resolve, reject });
      if (!this.draining) {
        this.draining = true;
        setImmediate(() => void this.drain());
      }
    });
  }

  private async drain(): Promise<void> {
    while (this.pending.length > 0) {
      const batch = this.pending.splice(0, this.maxBatch);
      await this.execute(batch);
      // Let the requests that arrived during the commit reach us before the next batch.
      await new Promise<void>((resolve) => setImmediate(resolve));
    }
    this.draining = false;
  }

  private async execute(batch: Array<Waiting<T, R>>): Promise<void> {
    if (batch.length > 1) {
      try {
        const results = await this.runBatch(batch.map((w) => w.item));
        for (const [i, w] of batch.entries()) w.resolve(results[i] as R);
        return;
      } catch {
        // Fall through: each alone, with its own outcome.
      }
    }
    for (const w of batch) {
      try {
        w.resolve(await this.runOne(w.item));
      } catch (err) {
        w.reject(err);
      }
    }
  }
}
