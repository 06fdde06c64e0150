import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { owe } from './cleanup.js';
import { issueToken, signInAll } from './client.js';
import type { BenchOptions } from './options.js';
import { SEED_SCRIPT } from './paths.js';
import type { Figures } from './scenarios/types.js';
import { type ServerProcess, type ServerTarget, startServer } from './server-process.js';
import { createTarget, type StoreTarget } from './stores.js';
import { deadline } from './time.js';
import { randomBenchUser } from './users.js';

export interface SeedSummary {
  users: number;
  inserted: number;
  seconds: number;
}

/** Seeds through the `bench seed` entry in its own process (bounded: a million users take minutes). */
export async function seed(
  databaseUrl: string,
  users: number,
  log: (line: string) => void,
): Promise<SeedSummary> {
  const child = spawn(
    process.execPath,
    [SEED_SCRIPT, '--users', String(users), '--database-url', databaseUrl],
    {
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let out = '';
  let err = '';
  child.stdout.on('data', (d: Buffer) => {
    out += d.toString();
  });
  child.stderr.on('data', (d: Buffer) => {
    err += d.toString();
    for (const line of d.toString().trim().split('\n')) if (line) log(line);
  });
  const code = await deadline(
    new Promise<number | null>((resolve) => child.once('exit', resolve)),
    30 * 60_000,
    'seeding',
  ).catch((e: unknown) => {
    child.kill('SIGKILL');
    throw e;
  });
  if (code !== 0) throw new Error(`seed exited with ${code}: ${err.slice(-2000)}`);
  return JSON.parse(out.trim().split('\n').at(-1) ?? '{}') as SeedSummary;
}

/**
 * One store's run: the seeded users, the server child currently up, and the figures
 * scenarios share. The server never runs while the seeder writes.
 */
export class StoreRun {
  readonly figures: Figures = {};
  readonly seeds: SeedSummary[] = [];
  /** Per server started: the directory its threads write their profiles to. */
  readonly profiles: Array<{ dir: string; label: string }> = [];
  /** Unused bearer tokens of random users, kept from sign-in loads against the current server. */
  readonly tokenPool: string[] = [];
  users = 0;
  private current: ServerProcess | null = null;
  private starts = 0;

  constructor(
    readonly options: BenchOptions,
    readonly target: StoreTarget,
    private readonly profileDir: string | undefined,
    readonly log: (line: string) => void,
  ) {}

  get running(): boolean {
    return this.current !== null;
  }

  get server(): ServerProcess {
    if (!this.current) throw new Error('the server is not running');
    return this.current;
  }

  /** Seeds up to `users` (server stopped), then (re)starts the server. */
  async startWith(users: number, phase: string): Promise<void> {
    await this.stop();
    this.log(`seeding up to ${users.toLocaleString('en')} users`);
    const summary = await seed(this.target.databaseUrl, users, (line) => this.log(`  ${line}`));
    this.seeds.push(summary);
    this.users = summary.users;
    this.tokenPool.length = 0;
    this.current = await this.launch(this.target, phase, this.users);
  }

  /** Starts a server on `target` (profiled like every other when profiling). */
  async launch(target: ServerTarget, phase: string, users: number): Promise<ServerProcess> {
    const dir = this.profileDir && join(this.profileDir, `${this.target.name}-${++this.starts}-${phase}`);
    const server = await startServer(target, { cpuProfDir: dir });
    if (dir) this.profiles.push({ dir, label: `${this.target.name}, ${phase}` });
    this.log(
      `${phase} server up (pid ${server.pid}) at ${server.url} with ${users.toLocaleString('en')} users`,
    );
    return server;
  }

  /** A second, empty database of the same kind; `drop` removes it (and is owed until then). */
  async sibling(suffix: string): Promise<{ target: StoreTarget; drop: () => Promise<void> }> {
    const target = await createTarget(this.target.name, `${this.target.dataDir}-${suffix}`);
    return { target, drop: owe(() => target.cleanup()) };
  }

  /** `count` bearer tokens of random seeded users: from the pool, signing in for the rest. */
  async bearerTokens(count: number): Promise<string[]> {
    const tokens = this.tokenPool.splice(0, count);
    const users = Array.from({ length: count - tokens.length }, () => randomBenchUser(this.users));
    tokens.push(...(await signInAll(users, (u) => issueToken(this.server.url, u))));
    return tokens;
  }

  async stop(): Promise<void> {
    const server = this.current;
    this.current = null;
    if (!server) return;
    const code = await server.stop();
    if (code !== 0) this.log(`server exited with ${code} after SIGTERM: ${server.stderr().slice(-2000)}`);
  }
}
