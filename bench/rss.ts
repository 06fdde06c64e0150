import { readFileSync } from 'node:fs';

/** Reads a process's resident set size from /proc/<pid>/status (Linux); null where unavailable. */
export function readRssBytes(pid: number): number | null {
  try {
    const m = /^VmRSS:\s+(\d+)\s+kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) * 1024 : null;
  } catch {
    return null;
  }
}

/** Samples a child's RSS on a timer and remembers the peak since the last reset. */
export class RssSampler {
  private peak: number | null = null;
  private readonly timer: NodeJS.Timeout;

  constructor(
    private readonly pid: number,
    intervalMs = 100,
  ) {
    this.timer = setInterval(() => this.sample(), intervalMs);
    this.timer.unref();
    this.sample();
  }

  private sample(): void {
    const rss = readRssBytes(this.pid);
    if (rss !== null && (this.peak === null || rss > this.peak)) this.peak = rss;
  }

  /** Starts a new window: the peak from now on. */
  reset(): void {
    this.peak = null;
    this.sample();
  }

  /** Peak RSS in bytes since the last reset (sampled once more now). */
  peakBytes(): number | null {
    this.sample();
    return this.peak;
  }

  stop(): void {
    clearInterval(this.timer);
  }
}

/** Runs `measure` and keeps the largest peak RSS any of its runs saw in `peak.bytes`. */
export function trackingPeak<T>(
  sampler: RssSampler,
  peak: { bytes: number | null },
  measure: () => Promise<T>,
): () => Promise<T> {
  return async () => {
    sampler.reset();
    const value = await measure();
    const seen = sampler.peakBytes();
    if (seen !== null && (peak.bytes === null || seen > peak.bytes)) peak.bytes = seen;
    return value;
  };
}
