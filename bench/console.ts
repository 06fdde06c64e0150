import { percent, ratioText, storeTitle } from './format.js';
import type { ProfileSummary } from './profile-summary.js';
import type { Row } from './scenarios/types.js';

/** What a run prints on stdout: the profiles (when taken), then one line per checked figure. */
export function printSummary(rows: Row[], profiles: Array<{ label: string; summary: ProfileSummary }>): void {
  const out = (line: string) => process.stdout.write(`${line}\n`);
  for (const p of profiles) {
    out(`\nCPU profile: ${p.label} (${(p.summary.busyMs / 1000).toFixed(1)} s busy)`);
    for (const [title, entries] of [
      ['self time', p.summary.self],
      ['total time of src/ functions', p.summary.ownTotal],
    ] as const) {
      out(`  ${title}:`);
      for (const f of entries) out(`  ${percent(f.share).padStart(6)}  ${f.name}  ${f.where}`);
    }
  }
  out('');
  for (const r of rows.filter((x) => x.cpuUs !== undefined && x.cpuUs !== null && !x.check))
    out(
      `${r.scenario.padEnd(12)} ${storeTitle(r.store).padEnd(10)} ${r.label.slice(0, 52).padEnd(52)} ${r.cpuUs!.toFixed(1).padStart(6)} CPU-µs/req  ${Math.round(r.throughput ?? 0)} req/s${r.note ? ` (${r.note})` : ''}`,
    );
  for (const r of rows.filter((x) => x.check))
    out(
      `${r.scenario.padEnd(12)} ${storeTitle(r.store).padEnd(10)} ${r.label.padEnd(52)} ${ratioText(r.check!).padStart(6)}  ${r.check!.met ? 'met' : 'MISSED'}`,
    );
}
