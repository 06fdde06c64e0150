import type { Config } from '../config/config.js';
import { loadConfig } from '../config/load.js';
import { createServices, type Services } from '../services.js';

/** Runs a command against the configured store, then closes it. */
export async function withServices<T>(
  run: (services: Services) => Promise<T>,
  config: Config = loadConfig(),
): Promise<T> {
  // A one-shot command sends no queued mail and watches nothing: it does its job and exits.
  const services = await createServices(config, { sendMail: false, syncRevocations: false, runJobs: false });
  try {
    return await run(services);
  } finally {
    await services.close();
  }
}

export function printTable(rows: Array<Record<string, unknown>>): void {
  if (rows.length === 0) {
    process.stdout.write('(none)\n');
    return;
  }
  const columns = Object.keys(rows[0]!);
  const text = (v: unknown) => (v === null || v === undefined ? '-' : String(v));
  const widths = columns.map((c) => Math.max(c.length, ...rows.map((r) => text(r[c]).length)));
  const line = (cells: string[]) => `${cells.map((c, i) => c.padEnd(widths[i]!)).join('  ')}`.trimEnd();
  process.stdout.write(`${line(columns)}\n`);
  for (const r of rows) process.stdout.write(`${line(columns.map((c) => text(r[c])))}\n`);
}

export function isoOrDash(ms: number | null): string {
  return ms === null ? '-' : new Date(ms).toISOString();
}
