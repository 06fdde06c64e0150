import { setTimeout as delay } from 'node:timers/promises';
import { serverHashQueue, serverHashSlots } from '../limits/password-hash.js';
import { mergeLoads, runLoad, warmUp } from '../load.js';
import { alternate, percentile } from '../stats.js';
import type { StoreRun } from '../store-run.js';
import { signInLoad } from './sign-in.js';
import { tokenCheckLoad } from './token-check.js';
import { check, loadRow, type ScenarioOutcome } from './types.js';

/** An answer to a refused sign-in must come within this long. */
const REFUSAL_BUDGET_MS = 1_000;

/** `200: 31, 503: 540`: how a load's answers split by HTTP status. */
function statusText(counts: Record<string, number>): string {
  return (
    Object.entries(counts)
      .map(([status, n]) => `${status}: ${n}`)
      .join(', ') || 'none'
  );
}

/**
 * The shortest overload round: the sign-ins are offered one per connection per second,
 * so a round must span a few of those seconds to offer a rate rather than one burst.
 */
const MIN_ROUND_S = 2;

/**
 * Scenario 4: sign-ins offered at several times the hash limit (open loop) while a
 * second load runs the token check. The token check must keep its pace; the excess
 * sign-ins must be refused quickly (503 + Retry-After) rather than queue.
 */
export async function overloadScenario(run: StoreRun): Promise<ScenarioOutcome> {
  const { options, server, figures } = run;
  const store = run.target.name;
  if (!figures.hashLimit || !figures.bearerTokens)
    throw new Error('overload needs the sign-in and token-check figures first');
  const offered = Math.ceil(options.overloadFactor * figures.hashLimit.perSecond);
  const { durationS, warmupS, connections } = options.load;
  // Unloaded and overloaded rounds alternate, as every other measurement and its limit
  // do, so drift of the shared machine hits the rate and its reference alike.
  const rounds = Math.max(1, Math.min(options.load.rounds, Math.floor(durationS / MIN_ROUND_S)));
  const roundS = durationS / rounds;

  const accepted: number[] = [];
  const refused: number[] = [];
  let refusedWithRetryAfter = 0;
  let refusedCount = 0;
  // Open loop: one sign-in per connection per second. The connections the server holds
  // (hashing or queued) cannot send, so there are that many more than the rate offered.
  const held = serverHashSlots() + serverHashQueue();
  const signIns = signInLoad(server.url, run.users, offered + held, roundS);
  const makePlan = signIns.client!;
  signIns.connectionRate = 1;
  signIns.client = (i) => ({
    ...makePlan(i),
    onResponse: (status, _body, headers) => {
      if (status !== 503) return;
      refusedCount++;
      if (Object.keys(headers).some((name) => name.toLowerCase() === 'retry-after')) refusedWithRetryAfter++;
    },
  });
  signIns.onLatency = (status, ms) => {
    if (status === 503) refused.push(ms);
    else if (status === 200) accepted.push(ms);
  };
  const tokens = tokenCheckLoad(server.url, 'authorization', figures.bearerTokens, connections, roundS);
  // The sign-ins the server still holds when a round ends are hashed before the next
  // unloaded round starts, so that round is not charged with them.
  const drainMs = Math.ceil((1000 * held) / figures.hashLimit.perSecond) + 250;

  await warmUp(tokens, warmupS);
  server.rss.reset();
  const measured = await alternate(rounds, {
    unloaded: () => runLoad(tokens),
    overloaded: async () => {
      const [signInRound, tokenRound] = await Promise.all([runLoad(signIns), runLoad(tokens)]);
      await delay(drainMs);
      return { signInRound, tokenRound };
    },
  });
  const rss = server.rss.peakBytes();
  const unloaded = mergeLoads(measured.unloaded).throughput;
  const tokenResult = mergeLoads(measured.overloaded.map((r) => r.tokenRound));
  const signInResult = mergeLoads(measured.overloaded.map((r) => r.signInRound));
  const perRound = (results: { throughput: number }[]) =>
    results.map((r) => Math.round(r.throughput)).join(', ');

  const responses = signInResult.responses;
  const refusedShare = responses ? refusedCount / responses : 0;
  const retryAfterShare = refusedCount ? refusedWithRetryAfter / refusedCount : 0;
  const refusedP99 = percentile(refused, 99);
  const base = { scenario: 'overload' as const, store };
  return {
    rows: [
      loadRow(
        { ...base, label: 'token check during the sign-in overload' },
        tokenResult,
        rss,
        `${Math.round(unloaded).toLocaleString('en')} req/s unloaded`,
        check(tokenResult.throughput / unloaded, 0.5, 'min'),
      ),
      {
        ...base,
        label: 'sign-ins answered 200',
        throughput: signInResult.throughput,
        p50: percentile(accepted, 50),
        p99: percentile(accepted, 99),
        rssBytes: rss,
        limit: `${figures.hashLimit.perSecond.toFixed(1)} verifications/s`,
        check: null,
      },
      {
        ...base,
        label: `sign-ins refused 503 (${(refusedShare * 100).toFixed(0)} % of answers)`,
        throughput: refusedCount / signInResult.durationS,
        p50: percentile(refused, 50),
        p99: refusedP99,
        rssBytes: rss,
        limit: `p99 within ${REFUSAL_BUDGET_MS} ms, with Retry-After`,
        // Met only if excess sign-ins were refused at all, every refusal said when to retry, and quickly.
        check: check(refusedP99 / REFUSAL_BUDGET_MS, 1, 'max', refusedCount > 0 && retryAfterShare === 1),
        note: refusedCount ? undefined : 'no sign-in was refused',
      },
    ],
    notes: [
      `${store}: sign-ins offered open-loop at ${offered} req/s (${options.overloadFactor}× the measured limit) over ${offered + held} connections sending one per second (${held} more than the rate, for the ones the server holds), answered ${(signInResult.responses / signInResult.durationS).toFixed(0)} req/s within the rounds (autocannon counts ${signInResult.offered.toFixed(0)} req/s sent: each connection's one-per-second timer also fires as a round ends, so every round ends with one more burst); ${signInResult.ok} succeeded, ${refusedCount} refused with 503 (${(retryAfterShare * 100).toFixed(0)} % with Retry-After), ${signInResult.responses - signInResult.ok - refusedCount} other answers, ${signInResult.errors} connection errors/timeouts; answers by status: ${statusText(signInResult.statusCounts)}. Latencies of accepted sign-ins include their wait in the hash queue.`,
      `${store}: ${rounds === 1 ? 'one round' : `${rounds} rounds`} of ${roundS.toFixed(1)} s unloaded then ${roundS.toFixed(1)} s overloaded${rounds === 1 ? '' : ', alternating'}; token checks per second unloaded ${perRound(measured.unloaded)}, during the overload ${perRound(measured.overloaded.map((r) => r.tokenRound))}.`,
      `${store}: the token check meanwhile: ${tokenResult.responses} answers (${tokenResult.ok} successful, ${tokenResult.failed} failed), ${tokenResult.errors} connection errors/timeouts.`,
    ],
  };
}
