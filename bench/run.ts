/**
 * The benchmark harness: node dist/bench/run.js [--quick] [--scenario NAME]... [--store NAME]...
 *   [--cpu-prof] [--profile-dir DIR] [--no-report]
 *
 * Per store (SQLite always, PostgreSQL when reachable): seeds users, starts the built
 * server as a child process, runs the scenarios against it with limits measured in the
 * same run, stops it, drops the database. Writes docs/benchmarks.md and its chart.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { owe, settleAll, settleOnSignals } from './cleanup.js';
import { printSummary } from './console.js';
import { ratioText } from './format.js';
import { describeMachine } from './machine.js';
import { type BenchOptions, parseOptions, type ScenarioName } from './options.js';
import { mainThreadProfile, type ProfileSummary, summariseProfile } from './profile-summary.js';
import { type ScenarioRun, type StoreSummary, writeReport } from './report.js';
import { overloadScenario } from './scenarios/overload.js';
import { refreshScenario } from './scenarios/refresh.js';
import { scaleScenario } from './scenarios/scale.js';
import { signInScenario } from './scenarios/sign-in.js';
import { tokenCheckScenario } from './scenarios/token-check.js';
import type { ScenarioOutcome } from './scenarios/types.js';
import { workersScenario } from './scenarios/workers.js';
import { StoreRun } from './store-run.js';
import { createTarget, postgresVersion, type StoreTarget } from './stores.js';
import { exitWith } from './usage.js';

const SCENARIO_RUNNERS: Record<ScenarioName, (run: StoreRun) => Promise<ScenarioOutcome>> = {
  'sign-in': signInScenario,
  'token-check': tokenCheckScenario,
  refresh: refreshScenario,
  overload: overloadScenario,
  scale: scaleScenario,
  workers: workersScenario,
};

const started = performance.now();
function log(line: string): void {
  process.stderr.write(
    `[bench ${((performance.now() - started) / 1000).toFixed(1).padStart(6)} s] ${line}\n`,
  );
}

/** An error on one line for the log and the report; a long one keeps its start and its end. */
function message(err: unknown): string {
  const text = (err instanceof Error ? err.message : String(err)).replace(/\s*\n\s*/g, ' ⏎ ');
  return text.length > 900 ? `${text.slice(0, 300)} … ${text.slice(-600)}` : text;
}

async function targets(options: BenchOptions, root: string, skipped: string[]): Promise<StoreTarget[]> {
  const out: StoreTarget[] = [];
  if (options.stores.includes('sqlite')) out.push(await createTarget('sqlite', join(root, 'sqlite')));
  if (options.stores.includes('postgres')) {
    if (await postgresVersion()) out.push(await createTarget('postgres', join(root, 'postgres')));
    else if (options.storesExplicit) throw new Error('PostgreSQL was asked for but is unreachable');
    else skipped.push('PostgreSQL: not reachable at 127.0.0.1:5432, so only SQLite ran');
  }
  return out;
}

/** Every scenario against one store; a failed scenario is recorded and the next one gets a fresh server. */
async function runStore(run: StoreRun): Promise<ScenarioRun[]> {
  const store = run.target.name;
  const stopServer = owe(() => run.stop());
  const runs: ScenarioRun[] = [];
  try {
    for (const scenario of run.options.scenarios) {
      log(`${store}: ${scenario}`);
      try {
        if (!run.running)
          await run.startWith(Math.max(run.users, run.options.baseUsers), run.users ? 'restart' : 'base');
        const outcome = await SCENARIO_RUNNERS[scenario](run);
        runs.push({ scenario, store, outcome });
        for (const note of outcome.notes) log(`  ${note}`);
        for (const row of outcome.rows.filter((r) => r.check))
          log(`${store}: ${row.label}: ${ratioText(row.check!)} (${row.check!.met ? 'met' : 'MISSED'})`);
      } catch (err) {
        log(`${store}: ${scenario} failed: ${message(err)}`);
        runs.push({ scenario, store, error: message(err) });
        await run.stop().catch(() => {});
      }
    }
  } finally {
    await stopServer();
  }
  return runs;
}

async function main(): Promise<void> {
  settleOnSignals(log);
  const options = parseOptions(process.argv.slice(2));
  const machineAtStart = describeMachine();
  const root = mkdtempSync(join(tmpdir(), 'latchkey-bench-'));
  const removeRoot = owe(async () => rmSync(root, { recursive: true, force: true }));
  const profileDir = options.cpuProf ? resolve(options.profileDir ?? join(root, 'profiles')) : undefined;
  const skipped: string[] = [];
  const runs: ScenarioRun[] = [];
  const summaries: StoreSummary[] = [];
  const profiles: Array<{ label: string; summary: ProfileSummary }> = [];
  try {
    // Each database is owed a drop from the moment it exists, even if an earlier store's run fails.
    const owed = (await targets(options, root, skipped)).map((target) => ({
      target,
      dropDatabase: owe(() => target.cleanup()),
    }));
    for (const { target, dropDatabase } of owed) {
      try {
        const run = new StoreRun(options, target, profileDir, (line) => log(`${target.name}: ${line}`));
        runs.push(...(await runStore(run)));
        summaries.push({ name: target.name, description: target.description, seeds: run.seeds });
        for (const p of run.profiles) {
          try {
            profiles.push({ label: p.label, summary: summariseProfile(mainThreadProfile(p.dir)) });
          } catch (err) {
            log(`no profile for ${p.label}: ${message(err)}`);
          }
        }
      } finally {
        await dropDatabase();
      }
    }
  } finally {
    await removeRoot();
  }

  const elapsedS = (performance.now() - started) / 1000;
  printSummary(
    runs.flatMap((r) => r.outcome?.rows ?? []),
    profiles,
  );
  if (options.writeReport) {
    const written = writeReport({
      machine: { ...machineAtStart, loadAtEnd: describeMachine().load },
      options,
      stores: summaries,
      runs,
      skipped,
      profiles,
      elapsedS,
    });
    log(`wrote ${written.join(' and ')}`);
  }
  log(`done in ${elapsedS.toFixed(0)} s`);
}

main().catch(async (err: unknown) => {
  await settleAll(log);
  exitWith('bench', err);
});
