import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { renderChart } from './chart.js';
import { megabytes, ms, percent, rate, ratioText, storeTitle, targetText } from './format.js';
import type { Machine } from './machine.js';
import type { BenchOptions, ScenarioName, StoreName } from './options.js';
import { REPO_ROOT } from './paths.js';
import type { ProfileSummary } from './profile-summary.js';
import type { Row, ScenarioOutcome } from './scenarios/types.js';
import { SERVER_SETTINGS } from './server-process.js';
import type { SeedSummary } from './store-run.js';

export interface StoreSummary {
  name: StoreName;
  description: string;
  seeds: SeedSummary[];
}

export interface ScenarioRun {
  scenario: ScenarioName;
  store: StoreName;
  outcome?: ScenarioOutcome;
  error?: string;
}

export interface ReportInput {
  machine: Machine & { loadAtEnd: number };
  options: BenchOptions;
  stores: StoreSummary[];
  runs: ScenarioRun[];
  /** Why a store did not run (e.g. PostgreSQL unreachable). */
  skipped: string[];
  profiles: Array<{ label: string; summary: ProfileSummary }>;
  elapsedS: number;
}

const CHART_FILE = 'benchmarks.svg';

const ABOUT: Record<ScenarioName, { title: string; what: string; bound: string }> = {
  'sign-in': {
    title: '1. Sign-in',
    what: 'rpc `session.issueToken` with the correct password, a random seeded user per request. **Limit:** argon2id verifications per second in the harness process, with the production (OWASP) parameters, the server’s number of hash slots and as many callers in flight as the load has connections; no HTTP, no storage, no token. **Target:** ≥ 90 % of the limit.',
    bound:
      'A sign-in is one argon2id verification on a hashing thread plus event-loop work (user lookup, the TOTP check, the session insert and the audit event — two durable commits, each an fsync on SQLite — one Ed25519 signature, JSON, the log line). The hash slots leave a core to the event loop (one fewer than the cores), but the load generator shares that core too, and a hash slot stays idle from the end of one verification until the event loop hands it the next.',
  },
  'token-check': {
    title: '2. Token check',
    what: 'rpc `user.info` with body `{}` on self, first with `Authorization: Bearer <token>` (from `session.issueToken`), then with `Cookie: session=<jwt>` (from `session.setCookie`), production logging on (`LOG_LEVEL=info`, one JSON line per request to stdout, which goes to /dev/null). **Limit:** a bare `node:http` server in its own process answering the same JSON body to the same requests under the same load settings. **Reference** (no target): a bare Fastify route answering the same body with logging off, to show what the framework alone keeps of the limit on this machine. **Target:** ≥ 65 % of the limit. **CPU per request:** the CPU time (user + system, as the kernel accounts it, from /proc) of the server’s own processes over its rounds, divided by the requests it answered, for the token check and for the bare server; the load generator runs in the harness process and is not counted. **Target:** at most 2× the bare server’s CPU per request.',
    bound:
      'No storage and no signature verification are left on this path: the token was signed by this node (remembered as verified), revocation is an in-memory lookup, and the user and their memberships come from per-process caches evicted on every write (and across nodes through Redis or, between workers, the primary). Where the CPU of a token check goes beyond the bare server’s (profile of the built server under `node --cpu-prof` and autocannon, 2026-12-08): the response write (`writev` of headers and body, with the wake-up of the waiting generator charged to it) about 15–18 % of the server’s CPU, as for the bare server; Node’s HTTP parsing and response machinery, the same for both; Fastify’s request and reply objects and its hooks (preValidation, onSend, onResponse; the reference rows show the framework alone at 1.3–1.6× the bare server’s CPU per request); garbage collection, 15 % of the CPU before this round; the logger and access line: a pino child logger per request (about 3 µs each in a micro-benchmark, with Latchkey’s serializers and redaction carried over) and, with pino’s default destination, one write through libuv’s thread pool per line; the cookie plugin’s parse in an onRequest hook on every request; the request id (`randomUUID`, under 1 µs); the schema validation of the tiny body (compiled ajv, under 1 µs); the five common response headers. What this round changed: log lines are buffered in 4 KiB batches and flushed at least every 250 ms, at start-up, at shutdown and on exit (no line is dropped; a process killed with SIGKILL can lose its last 250 ms); a request’s child logger is made only when it logs more than its access line, which is written from the parent and the request id; cookies are parsed on first use. Garbage collection fell to about 6 % of the CPU. Quick runs on 2 cores under a load average of 16–28 (other engineers’ work) put the token check at 2.2–2.8× the bare server’s CPU per request (SQLite; about 50–75 CPU-µs against 20–30). CPU per request does not count the generator, but it is not wholly free of the machine either: a server starved of CPU handles fewer requests per event-loop turn and pays each turn’s fixed cost (epoll, timers) over fewer of them, the bare server included, so both figures rise under contention and their ratio still moves between runs. Earlier rounds: no AsyncLocalStorage (on Node 20 it hooks every promise of the process; the audit context is passed explicitly), the access line written in pino’s line format directly, request metrics summed per route and rendered only on scrape, one hook less, a remembered token and the caller’s own cached user answered without a promise hop, and that answer kept as JSON text per user version. A prototype of 2026-12-05 answered this one route from a node:http handler placed ahead of Fastify; it was not built, since it would be a second request pipeline (headers, ids, errors, logging) to keep equal to the first. Beyond one core, `LATCHKEY_WORKERS` runs one event loop per core (scenario 6).',
  },
  refresh: {
    title: '3. Refresh',
    what: 'rpc `session.refreshToken`, every connection refreshing its own chain: each answer’s new token is that connection’s next request (autocannon `setupClient`/requests API). **Limit:** the store’s own rate of the write transaction a refresh commits (a conditional UPDATE of one `session_credentials` row plus the INSERT of its successor, as `SqlSessionRepository.rotate` does), through Kysely in the harness process on the same database, with as many writers as connections, no HTTP. **Target:** ≥ 50 % of the limit.',
    bound:
      'Per refresh the server finds the presented token in its cache of tokens it signed (a full verification only for tokens another node signed), signs the successor, seals it and commits the rotation; the credential and its session are not read first, because this node issued them and remembers them (the user comes from the cache), and the rotation itself checks in storage that the session is live. A token from another node is read first (one more query). On SQLite each commit is an fsync on the event loop, so rotations that arrive together share one transaction (group commit), which is why SQLite can come close to its per-transaction limit; on PostgreSQL the rotation is one statement (one round trip). The server process, PostgreSQL and the load generator share the two cores, so the PostgreSQL ratio moves between runs (43–56 % on 2026-12-04 with the read before each rotation; without it 65, 56 and 53 % in three full runs of 2026-12-05 and 69–74 % in quick runs; 49.5 and 46 % in the two full runs of that evening, the first with Redis beside PostgreSQL; quick runs alternating with and without Redis gave 59–82 % and 53–73 %, so Redis is not what separates them, and why the full runs of that evening fell below the target is not yet explained).',
  },
  overload: {
    title: '4. Overload',
    what: 'Sign-ins offered open-loop at 4× the measured sign-in limit while a second load runs the bearer token check. The unloaded rate is measured in rounds that alternate with the overloaded ones (after each overload round the server first finishes the sign-ins it still holds), so drift of the shared machine hits both. **Targets:** the token check keeps ≥ 50 % of its unloaded rate; sign-ins beyond the hash queue are refused with 503 and `Retry-After`, answered within 1 s (p99).',
    bound:
      'Hashing takes one fewer thread than the cores, so the event loop keeps a core for the token check (shared with the load generator), and the hashing threads run at a lower priority (`hash.nice`, 10), so on a core they share with the event loop or the store the hashes yield. The faster the unloaded token check, the more of it depends on the second core, which the hashes keep busy here: since the token check got faster on 2026-12-04 this ratio is harder to keep, and on PostgreSQL the database’s own work for the accepted sign-ins shares the cores too. A sign-in waits for a hash slot only while it would start within `hash.maxWaitMs` (500 ms, judged from the recent hash times); every other one is refused at once with 503 and `Retry-After: 1`. Per-thread CPU during the PostgreSQL overload rounds (2026-12-05): the event loop was busy only 70–90 % of the time, not saturated, while the hashing thread held the other core, so the event loop and the load generator took turns on one core and the token check waited for the CPU rather than for work. Giving the hashing thread `SCHED_IDLE` (so that a waking event loop takes its core at once) was tried by hand with `chrt`: 44, 46 and 71 % in three quick runs against 36 and 52 % without, inside this machine’s noise, so it was not built (Node has no API for it; it would need `chrt` or a native addon). With the unloaded rate measured in alternating rounds, four full runs of 2026-12-05 kept 68, 66, 72 and 64 % on SQLite and 47, 48, 64 and 61 % on PostgreSQL (the last two with Redis), whose own processes share the same two cores, so the PostgreSQL figure falls on either side of the target from run to run; a machine where the server, the database and the load generator do not share two cores is what this target needs to hold steadily.',
  },
  workers: {
    title: '6. Workers',
    what: 'The bearer token check and the sign-in against the base server (one process) and against a second server on the same database started with `LATCHKEY_WORKERS=2` (a primary and two HTTP workers sharing the port through `node:cluster`), in alternating rounds. No target: the gain depends on the cores the machine leaves to the server.',
    bound:
      'Each worker is a whole server process with its own event loop, caches and hashing threads, so the token check scales with the cores the workers get: on a machine where the server has N cores of its own, N workers should answer close to N times the token checks of one (each check costs the same CPU in a worker; the primary only relays messages and sign-in counters). On 2 cores shared with the load generator and the store, a second worker mostly competes with them for the same cores, so its gain is small or none. Sign-ins are bounded by argon2id, not by the event loop: the hash slots are shared out among the workers (at least one each), so more workers do not add hashing capacity beyond the cores.',
  },
  scale: {
    title: '5. Scale',
    what: 'A second server on a second database seeded with many more users (`node dist/bench/seed.js`) runs beside the base one (1,000 users); the sign-in and bearer token-check loads alternate between the two servers, so both see the same machine. **Targets:** sign-in p50 latency and token-check throughput with many users within 10 % of the figures with 1,000 users; that server’s RSS under 256 MB throughout.',
    bound:
      'Lookups by username and id are index lookups, so the user count should not show; RSS is bounded by the hash slots (19 MiB each) and the bounded caches (tokens, users, memberships, prepared statements).',
  },
};

const COLUMNS = [
  'Store',
  'Measurement',
  'Throughput (req/s)',
  'p50 (ms)',
  'p99 (ms)',
  'Peak RSS (MB)',
  'CPU (µs/req)',
  'Limit',
  'Ratio',
  'Target',
  'Met?',
];

function cell(text: string): string {
  return text.replace(/\|/g, '\\|');
}

function tableRow(cells: string[]): string {
  return `| ${cells.map(cell).join(' | ')} |`;
}

function rowCells(r: Row): string[] {
  return [
    storeTitle(r.store),
    r.note ? `${r.label} (${r.note})` : r.label,
    rate(r.throughput),
    ms(r.p50),
    ms(r.p99),
    megabytes(r.rssBytes),
    r.cpuUs === undefined || r.cpuUs === null ? '–' : r.cpuUs.toFixed(1),
    r.limit ?? '(the limit)',
    r.check ? ratioText(r.check) : '',
    r.check ? targetText(r.check) : '',
    r.check ? (r.check.met ? 'yes' : '**NO**') : '',
  ];
}

function machineSection(input: ReportInput): string[] {
  const { machine, options } = input;
  const l = options.load;
  return [
    '## Machine and settings',
    '',
    '| | |',
    '|---|---|',
    `| CPU | ${machine.cpu} |`,
    `| Cores | ${machine.cores} |`,
    `| Memory | ${(machine.memoryBytes / 1024 ** 3).toFixed(1)} GiB |`,
    `| Node.js | ${machine.node} |`,
    `| OS | ${machine.os} |`,
    `| Date | ${machine.date} |`,
    `| Load average | ${machine.load.toFixed(2)} when the run started, ${machine.loadAtEnd.toFixed(2)} when it ended (1 minute, ${machine.cores} cores; other work on the machine counts) |`,
    `| Command | \`${options.command}\` (${options.quick ? 'quick mode' : 'full run'}, ${input.elapsedS.toFixed(0)} s in all) |`,
    ...input.stores.map((s) => `| ${storeTitle(s.name)} | ${s.description} |`),
    ...input.skipped.map((s) => `| Skipped | ${s} |`),
    `| Load | autocannon 8 as a library in the harness process, ${l.connections} connections, pipelining ${l.pipelining}, ${l.durationS} s per measurement after ${l.warmupS} s of warm-up; sign-in ${options.signInConnections} connections; in-process limits ${options.limitDurationS} s. A measurement and its limit alternate in ${l.rounds} rounds, so drift of the shared machine hits both; the scale scenario’s four loads take ${options.scaleLoad.durationS} s each in ${options.scaleLoad.rounds} rounds |`,
    `| Server | \`node dist/src/cli/index.js serve\` with ${Object.entries(SERVER_SETTINGS)
      .map(([k, v]) => `\`${k}=${v}\``)
      .join(
        ', ',
      )}, a free loopback \`PORT\`, the store's \`DATABASE_URL\`, a random 48-character \`LATCHKEY_SECRET\` and, on PostgreSQL when Redis answers, \`REDIS_URL\` with a \`LATCHKEY_REDIS_PREFIX\` of the run's own; stdout to /dev/null |`,
    `| Users | ${options.baseUsers.toLocaleString('en')} seeded for scenarios 1–4, ${options.scaleUsers.toLocaleString('en')} for scenario 5 |`,
    '',
    `The load generator, the server and every limit share this machine’s ${machine.cores} cores, so absolute figures depend on it; each ratio compares two measurements taken minutes apart in the same run, under the same settings.`,
    '',
  ];
}

function summarySection(input: ReportInput, rows: Row[]): string[] {
  const checked = rows.filter((r) => r.check);
  const missed = checked.filter((r) => !r.check!.met);
  const failed = input.runs.filter((r) => r.error);
  const lines = [
    '## Summary',
    '',
    `![Ratio against target per scenario](${CHART_FILE})`,
    '',
    tableRow(['Scenario', 'Store', 'Measurement', 'Ratio', 'Target', 'Met?']),
    tableRow(['---', '---', '---', '---:', '---:', '---']),
    ...checked.map((r) =>
      tableRow([
        ABOUT[r.scenario].title,
        storeTitle(r.store),
        r.label,
        ratioText(r.check!),
        targetText(r.check!),
        r.check!.met ? 'yes' : '**NO**',
      ]),
    ),
    '',
  ];
  if (missed.length === 0 && failed.length === 0) lines.push(`All ${checked.length} targets were met.`, '');
  else {
    lines.push(
      `**${missed.length} of ${checked.length} targets missed${failed.length ? `, ${failed.length} scenario runs failed` : ''}:**`,
      '',
    );
    for (const r of missed)
      lines.push(
        `- ${ABOUT[r.scenario].title}, ${storeTitle(r.store)}, ${r.label}: ${ratioText(r.check!)} against ${r.limit}; the target is ${targetText(r.check!)}. **Missed.**`,
      );
    for (const r of failed)
      lines.push(`- ${ABOUT[r.scenario].title}, ${storeTitle(r.store)}: the run failed: ${r.error}`);
    lines.push('');
  }
  return lines;
}

function scenarioSection(scenario: ScenarioName, runs: ScenarioRun[]): string[] {
  const about = ABOUT[scenario];
  const rows = runs.flatMap((r) => r.outcome?.rows ?? []);
  const missed = rows.filter((r) => r.check && !r.check.met);
  const lines = [
    `## ${about.title}`,
    '',
    about.what,
    '',
    tableRow(COLUMNS),
    tableRow(COLUMNS.map(() => '---')),
  ];
  lines.push(...rows.map((r) => tableRow(rowCells(r))), '');
  for (const r of runs) {
    for (const note of r.outcome?.notes ?? []) lines.push(`- ${note}`);
    if (r.error) lines.push(`- ${storeTitle(r.store)}: **failed**: ${r.error}`);
  }
  lines.push('');
  lines.push(
    missed.length
      ? `**Target missed** (${missed.map((r) => `${storeTitle(r.store)}: ${r.label}, ${ratioText(r.check!)}`).join('; ')}). What bounds this path: ${about.bound}`
      : `What bounds this path: ${about.bound}`,
    '',
  );
  return lines;
}

function profileSection(input: ReportInput): string[] {
  if (input.profiles.length === 0) return [];
  const lines = [
    '## Server CPU profiles',
    '',
    'The server ran under `node --cpu-prof`, which slows it down: the figures above are lower than in an unprofiled run. Self time, idle excluded.',
    '',
  ];
  for (const { label, summary } of input.profiles) {
    lines.push(`### ${label} (${(summary.busyMs / 1000).toFixed(1)} s busy)`, '');
    lines.push(tableRow(['Place', 'Self (ms)', 'Share']), tableRow(['---', '---:', '---:']));
    for (const p of summary.places.slice(0, 10))
      lines.push(tableRow([p.name, p.ms.toFixed(0), percent(p.share)]));
    for (const [title, entries] of [
      ['Function (self time)', summary.self],
      ['Our function (total time)', summary.ownTotal],
    ] as const) {
      lines.push('', tableRow([title, 'Where', 'ms', 'Share']), tableRow(['---', '---', '---:', '---:']));
      for (const f of entries)
        lines.push(tableRow([`\`${f.name}\``, f.where, f.ms.toFixed(0), percent(f.share)]));
    }
    lines.push('');
  }
  return lines;
}

export function renderReport(input: ReportInput): string {
  const rows = input.runs.flatMap((r) => r.outcome?.rows ?? []);
  const scenarios = input.options.scenarios;
  return [
    '# Benchmarks',
    '',
    `Generated by \`${input.options.command}\` on ${input.machine.date.slice(0, 10)}. Do not edit by hand: run the command again. The harness lives in \`bench/\`.`,
    '',
    'The machines these run on are shared and noisy, so no figure stands alone: every one is a ratio against a limit measured in the same run, on the same machine, with the same load settings. The server runs as a separate process (`node dist/src/cli/index.js serve`) exactly as in production.',
    '',
    ...summarySection(input, rows),
    ...machineSection(input),
    ...scenarios.flatMap((s) =>
      scenarioSection(
        s,
        input.runs.filter((r) => r.scenario === s),
      ),
    ),
    ...profileSection(input),
    '## Reproduce',
    '',
    '```sh',
    'npm run bench -- --quick                  # under two minutes: 2 s measurements, 100,000 users for the scale scenario',
    'npm run bench                             # 10 s measurements, 1,000,000 users',
    'npm run bench -- --scenario token-check   # one scenario (plus the ones it compares against); --store sqlite|postgres',
    'npm run bench -- --scenario refresh --cpu-prof --no-report   # profile the server; summary on stdout',
    'node dist/bench/seed.js --users 1000000 --database-url sqlite:/tmp/latchkey-bench.db',
    '```',
    '',
    'PostgreSQL is used when it answers at `postgres://postgres@127.0.0.1:5432/postgres` (or `BENCH_PG_URL`); each run creates its own database and drops it afterwards.',
    '',
  ].join('\n');
}

/** Writes docs/benchmarks.md and docs/benchmarks.svg; returns their paths relative to the repository. */
export function writeReport(input: ReportInput): string[] {
  const docs = join(REPO_ROOT, 'docs');
  mkdirSync(docs, { recursive: true });
  const rows = input.runs.flatMap((r) => r.outcome?.rows ?? []);
  const title = `Latchkey benchmarks, ${input.machine.date.slice(0, 10)} (${input.options.quick ? 'quick' : 'full'})`;
  writeFileSync(join(docs, CHART_FILE), renderChart(rows, title));
  writeFileSync(join(docs, 'benchmarks.md'), renderReport(input));
  return [`docs/benchmarks.md`, `docs/${CHART_FILE}`];
}
