import { within } from './time.js';

/** Cleanups still owed (servers, databases, temporary files), newest first. */
const pending = new Set<() => Promise<void>>();

/** Registers a cleanup; the returned function runs it now (once) and forgets it. */
export function owe(job: () => Promise<void>): () => Promise<void> {
  pending.add(job);
  return async () => {
    if (!pending.delete(job)) return;
    await job();
  };
}

/** Runs every cleanup still owed, each bounded in time; failures are reported, not thrown. */
export async function settleAll(log: (line: string) => void): Promise<void> {
  for (const job of [...pending].reverse()) {
    pending.delete(job);
    await within(
      job().catch((err: unknown) => log(`cleanup failed: ${String(err)}`)),
      30_000,
    );
  }
}

/** On SIGINT/SIGTERM: stop the children, drop the databases, remove the files, then exit. */
export function settleOnSignals(log: (line: string) => void): void {
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      log(`${signal}: stopping children and cleaning up`);
      void settleAll(log).finally(() => process.exit(130));
    });
  }
}
