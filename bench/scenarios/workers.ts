import { availableParallelism } from 'node:os';
import { issueToken, signInAll } from '../client.js';
import { cpuMicrosPerRequest, trackingCpu } from '../cpu.js';
import { type LoadResult, mergeLoads, runLoad, warmUp } from '../load.js';
import { startServer } from '../server-process.js';
import { alternate } from '../stats.js';
import type { StoreRun } from '../store-run.js';
import { randomBenchUser } from '../users.js';
import { signInLoad } from './sign-in.js';
import { tokenCheckLoad } from './token-check.js';
import { loadRow, type ScenarioOutcome } from './types.js';

/**
 * Scenario 6: the bearer token check and the sign-in on one server process and on a
 * second server on the same database with `LATCHKEY_WORKERS=2`, in alternating rounds.
 * No target: what two workers add depends on the cores the machine has free (see the
 * analysis), so the rows give both figures, their ratio and each one's CPU per request.
 */
export async function workersScenario(run: StoreRun): Promise<ScenarioOutcome> {
  const { options } = run;
  const one = run.server;
  const { rounds, connections, durationS, warmupS } = options.load;
  const store = run.target.name;
  const two = await startServer(run.target, { workers: 2 });
  try {
    const users = Array.from({ length: options.tokenCount }, () => randomBenchUser(run.users));
    const tokensOne = await signInAll(users, (u) => issueToken(one.url, u));
    const tokensTwo = await signInAll(users, (u) => issueToken(two.url, u));
    const roundS = durationS / rounds;
    const specs = {
      checkOne: tokenCheckLoad(one.url, 'authorization', tokensOne, connections, roundS),
      checkTwo: tokenCheckLoad(two.url, 'authorization', tokensTwo, connections, roundS),
      signInOne: signInLoad(one.url, run.users, options.signInConnections, roundS),
      signInTwo: signInLoad(two.url, run.users, options.signInConnections, roundS),
    };
    for (const spec of Object.values(specs)) await warmUp(spec, warmupS);
    const cpu = {
      checkOne: { seconds: null as number | null },
      checkTwo: { seconds: null as number | null },
      signInOne: { seconds: null as number | null },
      signInTwo: { seconds: null as number | null },
    };
    const measured = await alternate(rounds, {
      checkOne: trackingCpu(one.pid, cpu.checkOne, () => runLoad(specs.checkOne)),
      checkTwo: trackingCpu(two.pid, cpu.checkTwo, () => runLoad(specs.checkTwo)),
      signInOne: trackingCpu(one.pid, cpu.signInOne, () => runLoad(specs.signInOne)),
      signInTwo: trackingCpu(two.pid, cpu.signInTwo, () => runLoad(specs.signInTwo)),
    });
    const base = { scenario: 'workers' as const, store };
    const row = (label: string, key: keyof typeof cpu, reference?: LoadResult) => {
      const result = mergeLoads(measured[key]);
      return {
        row: {
          ...loadRow({ ...base, label }, result, null, reference ? 'the same with 1 worker' : null, null),
          cpuUs: cpuMicrosPerRequest(cpu[key].seconds, result.responses),
          ...(reference
            ? {
                note: `${Math.round((100 * result.throughput) / reference.throughput)} % of 1 worker’s throughput`,
              }
            : {}),
        },
        result,
      };
    };
    const checkOne = row('token check (bearer), 1 worker', 'checkOne');
    const checkTwo = row('token check (bearer), 2 workers', 'checkTwo', checkOne.result);
    const signInOne = row('sign-in, 1 worker', 'signInOne');
    const signInTwo = row('sign-in, 2 workers', 'signInTwo', signInOne.result);
    const perRound = (results: LoadResult[]) => results.map((r) => Math.round(r.throughput)).join(', ');
    return {
      rows: [checkOne.row, checkTwo.row, signInOne.row, signInTwo.row],
      notes: [
        `${store}: ${rounds} alternating rounds; req/s per round: token check ${perRound(measured.checkOne)} (1 worker), ${perRound(measured.checkTwo)} (2 workers); sign-in ${perRound(measured.signInOne)} (1 worker), ${perRound(measured.signInTwo)} (2 workers).`,
        `${store}: answers by status: ${(['checkOne', 'checkTwo', 'signInOne', 'signInTwo'] as const).map((k) => `${k} ${JSON.stringify(mergeLoads(measured[k]).statusCounts)}`).join(', ')}.`,
        `${store}: ${availableParallelism()} cores shared by the load generator, both servers and the store; CPU per request counts every process of a server (its primary and workers).`,
      ],
    };
  } finally {
    await two.stop();
  }
}
