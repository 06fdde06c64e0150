import { issueToken } from '../client.js';
import { hashLimit, serverHashSlots } from '../limits/password-hash.js';
import { type LoadSpec, mergeLoads, rpcOk, runLoad, warmUp } from '../load.js';
import { trackingPeak } from '../rss.js';
import { alternate, mergeRates } from '../stats.js';
import type { StoreRun } from '../store-run.js';
import { BENCH_PASSWORD, benchUsername, randomBenchUser, randomClientAddress } from '../users.js';
import { asLoad, check, loadRow, type ScenarioOutcome } from './types.js';

export const SIGN_IN_PATH = '/api/session.issueToken';

/** At most this many tokens are kept from a sign-in load for later scenarios. */
const POOL_MAX = 200;

/**
 * session.issueToken with the right password, for a random one of `users` seeded users
 * per request, from a random client address. Tokens answered go to `pool` (bounded).
 */
export function signInLoad(
  url: string,
  users: number,
  connections: number,
  durationS: number,
  pool?: string[],
): LoadSpec {
  return {
    url,
    path: SIGN_IN_PATH,
    connections,
    durationS,
    client: () => ({
      body: () => JSON.stringify({ user: randomBenchUser(users), password: BENCH_PASSWORD }),
      nextHeaders: () => ({ 'x-forwarded-for': randomClientAddress() }),
      onResponse: (status, body) => {
        if (!pool || pool.length >= POOL_MAX || !rpcOk(status, body)) return;
        const token = (JSON.parse(body) as { token?: unknown }).token;
        if (typeof token === 'string') pool.push(token);
      },
    }),
  };
}

/** Scenario 1: sign-in throughput against in-process argon2id verifications at the same concurrency. */
export async function signInScenario(run: StoreRun): Promise<ScenarioOutcome> {
  const { options, server } = run;
  const { rounds, durationS, warmupS } = options.load;
  const store = run.target.name;
  const limitOf = await hashLimit(options.signInConnections);
  await issueToken(server.url, benchUsername(0));
  const spec = signInLoad(
    server.url,
    run.users,
    options.signInConnections,
    durationS / rounds,
    run.tokenPool,
  );
  await warmUp(spec, warmupS);
  const rss = { bytes: null as number | null };
  const measured = await alternate(rounds, {
    limit: () => limitOf(options.limitDurationS / rounds),
    http: trackingPeak(server.rss, rss, () => runLoad(spec)),
  });
  const limit = mergeRates(measured.limit);
  const result = mergeLoads(measured.http);
  run.figures.hashLimit = limit;
  const perRound = (values: number[]) => values.map((v) => v.toFixed(1)).join(', ');
  const base = { scenario: 'sign-in' as const, store };
  return {
    rows: [
      loadRow({ ...base, label: 'limit: argon2id verify, in-process' }, asLoad(limit), null, null, null),
      loadRow(
        { ...base, label: `session.issueToken (${run.users.toLocaleString('en')} users)` },
        result,
        rss.bytes,
        `${limit.perSecond.toFixed(1)} verifications/s`,
        check(result.throughput / limit.perSecond, 0.9, 'min'),
      ),
    ],
    notes: [
      `${store}: ${rounds} alternating rounds; limit per round ${perRound(measured.limit.map((r) => r.perSecond))} verifications/s, sign-ins per round ${perRound(measured.http.map((r) => r.throughput))}/s.`,
      `${store}: ${options.signInConnections} connections and ${options.signInConnections} in-process callers; ${serverHashSlots()} hash slots; ${result.ok} sign-ins succeeded, ${result.failed} failed, ${result.errors} connection errors.`,
    ],
  };
}
