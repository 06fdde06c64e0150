import { storeWrites } from '../limits/store-writes.js';
import { type LoadResult, type LoadSpec, mergeLoads, rpcOk, runLoad, warmUp } from '../load.js';
import { trackingPeak } from '../rss.js';
import { alternate, type InProcessRate, mergeRates } from '../stats.js';
import type { StoreRun } from '../store-run.js';
import { asLoad, check, loadRow, type ScenarioOutcome } from './types.js';

export const REFRESH_PATH = '/api/session.refreshToken';

/** Length of a token sealed as the server stores a successor: v1.<iv 12 B>.<tag 16 B>.<ciphertext>, base64url. */
function sealedLength(tokenLength: number): number {
  const b64 = (bytes: number) => Math.ceil((bytes * 4) / 3);
  return 'v1.'.length + b64(12) + 1 + b64(16) + 1 + b64(tokenLength);
}

/**
 * Scenario 3: session.refreshToken, every connection refreshing its own chain (each
 * answer's token is that connection's next request), against the store's own rate of
 * the same write transaction without HTTP.
 */
export async function refreshScenario(run: StoreRun): Promise<ScenarioOutcome> {
  const { options, server } = run;
  const { rounds, connections, durationS, warmupS } = options.load;
  const store = run.target.name;
  const chains = await run.bearerTokens(connections);
  const spec: LoadSpec = {
    url: server.url,
    path: REFRESH_PATH,
    connections,
    durationS: durationS / rounds,
    // The chain state outlives each autocannon run: every run carries on where the last one stopped.
    client: (i) => ({
      body: () => JSON.stringify({ token: chains[i] }),
      onResponse: (status, body) => {
        if (!rpcOk(status, body)) return;
        const token = (JSON.parse(body) as { token?: unknown }).token;
        if (typeof token === 'string') chains[i] = token;
      },
    }),
  };
  const writes = await storeWrites(run.target.databaseUrl, connections, sealedLength(chains[0]!.length));
  const rss = { bytes: null as number | null };
  let measured: { limit: InProcessRate[]; http: LoadResult[] };
  try {
    await warmUp(spec, warmupS);
    measured = await alternate(rounds, {
      limit: () => writes.measure(options.limitDurationS / rounds),
      http: trackingPeak(server.rss, rss, () => runLoad(spec)),
    });
  } finally {
    await writes.close();
  }
  const limit = mergeRates(measured.limit);
  const result = mergeLoads(measured.http);
  const perRound = (values: number[]) => values.map((v) => Math.round(v)).join(', ');
  const base = { scenario: 'refresh' as const, store };
  return {
    rows: [
      loadRow({ ...base, label: 'limit: rotate transaction, in-process' }, asLoad(limit), null, null, null),
      loadRow(
        { ...base, label: 'session.refreshToken, own chain per connection' },
        result,
        rss.bytes,
        `${Math.round(limit.perSecond).toLocaleString('en')} transactions/s`,
        check(result.throughput / limit.perSecond, 0.5, 'min'),
      ),
    ],
    notes: [
      `${store}: ${rounds} alternating rounds; limit per round ${perRound(measured.limit.map((r) => r.perSecond))} transactions/s, refreshes per round ${perRound(measured.http.map((r) => r.throughput))}/s.`,
      `${store}: ${connections} chains (one per connection) and ${connections} in-process writers; ${result.ok} refreshes succeeded, ${result.failed} failed, ${result.errors} connection errors.`,
    ],
  };
}
