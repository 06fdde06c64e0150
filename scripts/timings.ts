import { join } from 'node:path';

/** Each test file's time in ms, by its source path (test/spa/browser.test.ts). */
export type Timings = Record<string, number>;

/** Where `npm test` leaves the times of its last run. */
export const timingsPath = (root: string) => join(root, 'dist', 'test-timings.json');

const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

/** Prints the `count` slowest files, and the run's wall time when known. */
export function printSlowest(timings: Timings, count: number, wallMs?: number): void {
  const rows = Object.entries(timings).sort(([, a], [, b]) => b - a);
  const total = rows.reduce((sum, [, ms]) => sum + ms, 0);
  const lines = [
    '',
    `Slowest ${Math.min(count, rows.length)} of ${rows.length} test files:`,
    ...rows.slice(0, count).map(([file, ms]) => `  ${seconds(ms).padStart(8)}  ${file}`),
    `Files' times add up to ${seconds(total)}${wallMs === undefined ? '' : `; the run took ${seconds(wallMs)}`}.`,
  ];
  process.stdout.write(`${lines.join('\n')}\n`);
}

/**
 * Slowest first by the given times, so that with two at a time the heavy files run beside
 * the light ones; files with no time yet (new suites, perhaps heavy) go first of all.
 */
export function slowestFirst(files: string[], known: Timings, nameOf: (file: string) => string): string[] {
  const time = (file: string) => known[nameOf(file)] ?? Number.POSITIVE_INFINITY;
  return [...files].sort((a, b) => time(b) - time(a));
}
