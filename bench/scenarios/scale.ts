import { issueToken, signInAll } from '../client.js';
import { type LoadResult, mergeLoads, runLoad, warmUp } from '../load.js';
import { trackingPeak } from '../rss.js';
import { alternate } from '../stats.js';
import { type StoreRun, seed } from '../store-run.js';
import { randomBenchUser } from '../users.js';
import { signInLoad } from './sign-in.js';
import { tokenCheckLoad } from './token-check.js';
import { check, loadRow, type ScenarioOutcome } from './types.js';

const RSS_BUDGET_BYTES = 256 * 1024 * 1024;

/**
 * Scenario 5: a second server on a second database seeded with many more users, beside
 * the base one. The same sign-in and token-check loads alternate between the two, so
 * both see the same machine: sign-in latency and token-check throughput with many users
 * must stay within 10 % of the base figures, and that server's RSS under 256 MB.
 */
export async function scaleScenario(run: StoreRun): Promise<ScenarioOutcome> {
  const { options } = run;
  const { connections, warmupS } = options.load;
  const { rounds, durationS } = options.scaleLoad;
  const store = run.target.name;
  const small = run.server;
  const smallUsers = run.users;
  const sibling = await run.sibling('scale');
  try {
    run.log(`seeding ${options.scaleUsers.toLocaleString('en')} users into a second database`);
    const seeded = await seed(sibling.target.databaseUrl, options.scaleUsers, (line) => run.log(`  ${line}`));
    run.seeds.push(seeded);
    const large = await run.launch(sibling.target, 'scale', seeded.users);
    try {
      const tokensOf = (url: string, users: number) =>
        signInAll(
          Array.from({ length: options.tokenCount }, () => randomBenchUser(users)),
          (u) => issueToken(url, u),
        );
      const roundS = durationS / rounds;
      const specs = {
        smallSignIn: signInLoad(small.url, smallUsers, options.signInConnections, roundS),
        largeSignIn: signInLoad(large.url, seeded.users, options.signInConnections, roundS),
        smallToken: tokenCheckLoad(
          small.url,
          'authorization',
          await run.bearerTokens(options.tokenCount),
          connections,
          roundS,
        ),
        largeToken: tokenCheckLoad(
          large.url,
          'authorization',
          await tokensOf(large.url, seeded.users),
          connections,
          roundS,
        ),
      };
      for (const spec of Object.values(specs)) await warmUp(spec, warmupS);
      const rss = { bytes: null as number | null };
      const measured = await alternate(rounds, {
        smallSignIn: () => runLoad(specs.smallSignIn),
        largeSignIn: trackingPeak(large.rss, rss, () => runLoad(specs.largeSignIn)),
        smallToken: () => runLoad(specs.smallToken),
        largeToken: trackingPeak(large.rss, rss, () => runLoad(specs.largeToken)),
      });
      const [smallSignIn, largeSignIn, smallToken, largeToken] = [
        measured.smallSignIn,
        measured.largeSignIn,
        measured.smallToken,
        measured.largeToken,
      ].map(mergeLoads) as [LoadResult, LoadResult, LoadResult, LoadResult];

      const perRound = (results: LoadResult[]) => results.map((r) => r.throughput.toFixed(0)).join(', ');
      const few = smallUsers.toLocaleString('en');
      const many = seeded.users.toLocaleString('en');
      const base = { scenario: 'scale' as const, store };
      const peak = rss.bytes ?? 0;
      return {
        rows: [
          loadRow({ ...base, label: `sign-in, ${few} users` }, smallSignIn, null, '(the reference)', null),
          loadRow(
            { ...base, label: `sign-in p50 latency, ${many} users` },
            largeSignIn,
            rss.bytes,
            `p50 ${smallSignIn.p50.toFixed(1)} ms with ${few} users`,
            check(largeSignIn.p50 / smallSignIn.p50, 1.1, 'max'),
          ),
          loadRow({ ...base, label: `token check, ${few} users` }, smallToken, null, '(the reference)', null),
          loadRow(
            { ...base, label: `token check throughput, ${many} users` },
            largeToken,
            rss.bytes,
            `${Math.round(smallToken.throughput).toLocaleString('en')} req/s with ${few} users`,
            check(largeToken.throughput / smallToken.throughput, 0.9, 'min'),
          ),
          {
            ...base,
            label: `peak RSS, ${many} users`,
            throughput: null,
            p50: null,
            p99: null,
            rssBytes: rss.bytes,
            limit: '256 MB',
            check: check(peak / RSS_BUDGET_BYTES, 1, 'max', peak > 0),
          },
        ],
        notes: [
          `${store}: per round, sign-ins/s with ${few} / ${many} users: ${perRound(measured.smallSignIn)} / ${perRound(measured.largeSignIn)}; token checks/s: ${perRound(measured.smallToken)} / ${perRound(measured.largeToken)}.`,
          `${store}: seeded ${seeded.inserted.toLocaleString('en')} users into a second database in ${seeded.seconds.toFixed(1)} s (${Math.round(seeded.inserted / seeded.seconds).toLocaleString('en')} users/s); its server ran beside the base one (${few} users, after scenarios 1–4) and the loads alternated between them in ${rounds} rounds. Sign-ins pick a random user of all; each token check spreads over ${options.tokenCount} tokens of random users.`,
        ],
      };
    } finally {
      const code = await large.stop();
      if (code !== 0) run.log(`scale server exited with ${code}: ${large.stderr().slice(-2000)}`);
    }
  } finally {
    await sibling.drop();
  }
}
