import type { LoadResult } from '../load.js';
import type { ScenarioName, StoreName } from '../options.js';
import type { InProcessRate } from '../stats.js';

/** A measured ratio against its target. */
export interface Check {
  ratio: number;
  target: number;
  /** 'min': the ratio must reach the target; 'max': it must not exceed it. */
  direction: 'min' | 'max';
  met: boolean;
}

export function check(ratio: number, target: number, direction: Check['direction'], also = true): Check {
  const reached = direction === 'min' ? ratio >= target : ratio <= target;
  return { ratio, target, direction, met: Number.isFinite(ratio) && reached && also };
}

/** One line of a scenario's table. Rows without a check are the limits and context figures. */
export interface Row {
  scenario: ScenarioName;
  store: StoreName;
  label: string;
  /** Successful requests (or operations) per second. */
  throughput: number | null;
  /** Milliseconds. */
  p50: number | null;
  p99: number | null;
  /** Peak RSS of the server process during this measurement. */
  rssBytes: number | null;
  /** The server's own CPU time (user + system, all its processes) per answered request, µs. */
  cpuUs?: number | null;
  /** What the ratio is taken against, in words with its figure. */
  limit: string | null;
  check: Check | null;
  note?: string;
}

export interface ScenarioOutcome {
  rows: Row[];
  /** Facts worth a sentence under the table (counts, offered rates, seeding time). */
  notes: string[];
}

/** Figures one scenario measures and a later one compares against, per store. */
export interface Figures {
  hashLimit?: InProcessRate;
  bearerTokens?: string[];
  bearer?: LoadResult;
}

export function loadRow(
  base: Pick<Row, 'scenario' | 'store' | 'label'>,
  result: Pick<LoadResult, 'throughput' | 'p50' | 'p99'>,
  rssBytes: number | null,
  limit: string | null,
  verdict: Check | null,
): Row {
  return {
    ...base,
    throughput: result.throughput,
    p50: result.p50,
    p99: result.p99,
    rssBytes,
    limit,
    check: verdict,
  };
}

/** An in-process limit in the shape of a load result, for its row. */
export function asLoad(rate: InProcessRate): Pick<LoadResult, 'throughput' | 'p50' | 'p99'> {
  return { throughput: rate.perSecond, p50: rate.p50, p99: rate.p99 };
}
