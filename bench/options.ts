import { parseArgs } from 'node:util';
import { UsageError } from './usage.js';

export const SCENARIOS = ['sign-in', 'token-check', 'refresh', 'overload', 'scale', 'workers'] as const;
export type ScenarioName = (typeof SCENARIOS)[number];

export const STORES = ['sqlite', 'postgres'] as const;
export type StoreName = (typeof STORES)[number];

/** Scenarios whose figures another one compares against. */
const NEEDS: Record<ScenarioName, ScenarioName[]> = {
  'sign-in': [],
  'token-check': [],
  refresh: [],
  overload: ['sign-in', 'token-check'],
  scale: [],
  workers: [],
};

export interface LoadSettings {
  connections: number;
  pipelining: 1;
  /** Seconds of measured load, in all rounds together. */
  durationS: number;
  /** A measurement and its limit alternate this many times (drift on a shared machine hits both). */
  rounds: number;
  /** Seconds of unmeasured load first, so the server's JIT has warmed up. */
  warmupS: number;
}

export interface BenchOptions {
  quick: boolean;
  /** In run order, dependencies included. */
  scenarios: ScenarioName[];
  /** Stores asked for; PostgreSQL is skipped when unreachable unless named explicitly. */
  stores: StoreName[];
  storesExplicit: boolean;
  cpuProf: boolean;
  /** Where the .cpuprofile files are kept; a temporary directory (removed) when unset. */
  profileDir: string | undefined;
  writeReport: boolean;
  /** The command line as typed, for the report. */
  command: string;
  /** The token check, the refresh and the bare node:http limit share these settings. */
  load: LoadSettings;
  /** Sign-in: as many connections as twice the hash slots, so no slot idles between requests. */
  signInConnections: number;
  /** Seconds each in-process limit is measured for, in all rounds together. */
  limitDurationS: number;
  /** The scale scenario's four loads (shorter in quick mode, to stay within two minutes). */
  scaleLoad: { durationS: number; rounds: number };
  /** Users seeded before the first scenarios, and for the scale scenario. */
  baseUsers: number;
  scaleUsers: number;
  /** Distinct tokens the token check spreads its connections over. */
  tokenCount: number;
  /** The overload offers this many times the measured sign-in limit. */
  overloadFactor: number;
}

const USAGE = `usage: node dist/bench/run.js [--quick] [--scenario NAME]... [--store sqlite|postgres]... [--cpu-prof] [--profile-dir DIR] [--no-report]
  scenarios: ${SCENARIOS.join(', ')}`;

export function parseOptions(argv: string[]): BenchOptions {
  const { values } = parseArgs({
    args: argv,
    options: {
      quick: { type: 'boolean', default: false },
      scenario: { type: 'string', multiple: true },
      store: { type: 'string', multiple: true },
      'cpu-prof': { type: 'boolean', default: false },
      'profile-dir': { type: 'string' },
      'no-report': { type: 'boolean', default: false },
      help: { type: 'boolean', default: false },
    },
    strict: true,
  });
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    process.exit(0);
  }
  const asked = (values.scenario ?? [...SCENARIOS]).map((s) => {
    if (!(SCENARIOS as readonly string[]).includes(s))
      throw new UsageError(`unknown scenario ${s}\n${USAGE}`);
    return s as ScenarioName;
  });
  const wanted = new Set<ScenarioName>();
  for (const s of asked) for (const n of [...NEEDS[s], s]) wanted.add(n);
  const stores = (values.store ?? [...STORES]).map((s) => {
    if (!(STORES as readonly string[]).includes(s)) throw new UsageError(`unknown store ${s}\n${USAGE}`);
    return s as StoreName;
  });
  const quick = values.quick;
  return {
    quick,
    scenarios: SCENARIOS.filter((s) => wanted.has(s)),
    stores: STORES.filter((s) => stores.includes(s)),
    storesExplicit: values.store !== undefined,
    cpuProf: values['cpu-prof'] || values['profile-dir'] !== undefined,
    profileDir: values['profile-dir'],
    writeReport: !values['no-report'],
    command: ['npm run bench', ...(argv.length ? ['--', ...argv] : [])].join(' '),
    load: {
      connections: 50,
      pipelining: 1,
      // autocannon measures in whole seconds (a 0.8 s round takes 1 s), so quick mode's
      // rounds are 1 s each: two of them keep it under two minutes for both stores.
      durationS: quick ? 2 : 10,
      rounds: quick ? 2 : 5,
      warmupS: quick ? 1 : 2,
    },
    signInConnections: 8,
    limitDurationS: quick ? 1 : 10,
    scaleLoad: quick ? { durationS: 2, rounds: 2 } : { durationS: 10, rounds: 5 },
    baseUsers: 1_000,
    scaleUsers: quick ? 100_000 : 1_000_000,
    tokenCount: 10,
    overloadFactor: 4,
  };
}
