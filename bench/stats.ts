/** The p-th percentile (0–100) of unsorted samples, nearest-rank; NaN when empty. */
export function percentile(samples: number[], p: number): number {
  if (samples.length === 0) return Number.NaN;
  const sorted = [...samples].sort((a, b) => a - b);
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[rank]!;
}

/** Throughput and latency of a closed-loop in-process measurement. */
export interface InProcessRate {
  perSecond: number;
  p50: number;
  p99: number;
  operations: number;
  concurrency: number;
  elapsedS: number;
  /** Every operation's duration, ms. */
  latencies: number[];
}

function rateOf(latencies: number[], elapsedS: number, concurrency: number): InProcessRate {
  return {
    perSecond: latencies.length / elapsedS,
    p50: percentile(latencies, 50),
    p99: percentile(latencies, 99),
    operations: latencies.length,
    concurrency,
    elapsedS,
    latencies,
  };
}

/**
 * Runs `operation` from `concurrency` loops for `durationS` seconds (each loop stops
 * starting new operations at the deadline) and times every operation.
 */
export async function closedLoop(
  concurrency: number,
  durationS: number,
  operation: (worker: number) => Promise<void>,
): Promise<InProcessRate> {
  const latencies: number[] = [];
  const started = performance.now();
  const end = started + durationS * 1000;
  await Promise.all(
    Array.from({ length: concurrency }, async (_, worker) => {
      while (performance.now() < end) {
        const t0 = performance.now();
        await operation(worker);
        latencies.push(performance.now() - t0);
      }
    }),
  );
  return rateOf(latencies, (performance.now() - started) / 1000, concurrency);
}

/** Several rounds of one in-process measurement as one: all operations over all the time. */
export function mergeRates(rounds: InProcessRate[]): InProcessRate {
  return rateOf(
    rounds.flatMap((r) => r.latencies),
    rounds.reduce((sum, r) => sum + r.elapsedS, 0),
    rounds[0]?.concurrency ?? 0,
  );
}

/**
 * Runs each measurement once per round, in turn, for `rounds` rounds: on a shared
 * machine whose speed drifts, every measurement then sees the same drift, and their
 * ratio stays fair. Returns each measurement's rounds in order.
 */
export async function alternate<T extends Record<string, () => Promise<unknown>>>(
  rounds: number,
  measurements: T,
): Promise<{ [K in keyof T]: Array<Awaited<ReturnType<T[K]>>> }> {
  const out: Record<string, unknown[]> = {};
  for (const name of Object.keys(measurements)) out[name] = [];
  for (let round = 0; round < rounds; round++) {
    for (const [name, measure] of Object.entries(measurements)) out[name]!.push(await measure());
  }
  return out as { [K in keyof T]: Array<Awaited<ReturnType<T[K]>>> };
}
