import type { Child } from '../child.js';
import { expectRpcOk, sessionCookie, signInAll } from '../client.js';
import { startBareFastify, startBareHttp, startFastifySetup } from '../limits/bare-http.js';
import { type LoadResult, type LoadSpec, mergeLoads, runLoad, warmUp } from '../load.js';
import { trackingPeak } from '../rss.js';
import { alternate } from '../stats.js';
import type { StoreRun } from '../store-run.js';
import { randomBenchUser } from '../users.js';
import { check, loadRow, type ScenarioOutcome } from './types.js';

export const USER_INFO_PATH = '/api/user.info';

/** user.info on self, connection i presenting credential i mod n in `header`. */
export function tokenCheckLoad(
  url: string,
  header: 'authorization' | 'cookie',
  credentials: string[],
  connections: number,
  durationS: number,
): LoadSpec {
  const value = (c: string) => (header === 'authorization' ? `Bearer ${c}` : c);
  return {
    url,
    path: USER_INFO_PATH,
    connections,
    durationS,
    body: '{}',
    client: (i) => ({ headers: { [header]: value(credentials[i % credentials.length]!) } }),
  };
}

/** Measures the bearer token check once (scale scenario), after checking a token really succeeds. */
export async function measureTokenCheck(
  run: StoreRun,
  tokens: string[],
): Promise<{ result: LoadResult; rss: number | null }> {
  const { server, options } = run;
  await expectRpcOk(server.url, 'user.info', {}, { authorization: `Bearer ${tokens[0]}` });
  const spec = tokenCheckLoad(
    server.url,
    'authorization',
    tokens,
    options.load.connections,
    options.load.durationS,
  );
  await warmUp(spec, options.load.warmupS);
  server.rss.reset();
  const result = await runLoad(spec);
  return { result, rss: server.rss.peakBytes() };
}

/** Scenario 2: user.info with a bearer token and with the session cookie, against a bare node:http server. */
export async function tokenCheckScenario(run: StoreRun): Promise<ScenarioOutcome> {
  const { options, server } = run;
  const { rounds, connections, durationS, warmupS } = options.load;
  const store = run.target.name;
  const tokens = await run.bearerTokens(options.tokenCount);
  const cookieUsers = Array.from({ length: options.tokenCount }, () => randomBenchUser(run.users));
  const cookies = await signInAll(cookieUsers, (u) => sessionCookie(server.url, u));
  run.figures.bearerTokens = tokens;
  const answer = await expectRpcOk(server.url, 'user.info', {}, { authorization: `Bearer ${tokens[0]}` });
  await expectRpcOk(server.url, 'user.info', {}, { cookie: cookies[0]! });

  const roundS = durationS / rounds;
  const bearerSpec = tokenCheckLoad(server.url, 'authorization', tokens, connections, roundS);
  const cookieSpec = tokenCheckLoad(server.url, 'cookie', cookies, connections, roundS);
  // The same requests, the same settings, the same JSON body, from a bare node:http server.
  const rss = { bearer: { bytes: null as number | null }, cookie: { bytes: null as number | null } };
  let measured: {
    bearer: LoadResult[];
    bare: LoadResult[];
    cookie: LoadResult[];
    fastify: LoadResult[];
    setup: LoadResult[];
  };
  // Started one by one inside the try, so a reference that fails to start stops the ones before it.
  const references: Child[] = [];
  try {
    const start = async (child: Promise<Child>) => {
      const started = await child;
      references.push(started);
      return tokenCheckLoad(started.url, 'authorization', tokens, connections, roundS);
    };
    const bareSpec = await start(startBareHttp(answer.text));
    const fastifySpec = await start(startBareFastify(answer.text));
    const setupSpec = await start(startFastifySetup(answer.text));
    for (const spec of [bearerSpec, cookieSpec, bareSpec, fastifySpec, setupSpec])
      await warmUp(spec, warmupS);
    measured = await alternate(rounds, {
      bearer: trackingPeak(server.rss, rss.bearer, () => runLoad(bearerSpec)),
      bare: () => runLoad(bareSpec),
      cookie: trackingPeak(server.rss, rss.cookie, () => runLoad(cookieSpec)),
      fastify: () => runLoad(fastifySpec),
      setup: () => runLoad(setupSpec),
    });
  } finally {
    for (const child of references) await child.stop();
  }
  const bearer = mergeLoads(measured.bearer);
  const cookie = mergeLoads(measured.cookie);
  const limit = mergeLoads(measured.bare);
  const framework = mergeLoads(measured.fastify);
  const setUp = mergeLoads(measured.setup);
  run.figures.bearer = bearer;

  const limitText = `${Math.round(limit.throughput).toLocaleString('en')} req/s (bare node:http)`;
  const base = { scenario: 'token-check' as const, store };
  const reference = (label: string, result: LoadResult) => ({
    ...loadRow({ ...base, label }, result, null, limitText, null),
    note: `${Math.round((100 * result.throughput) / limit.throughput)} % of the limit; no target`,
  });
  const failures = (r: LoadResult) => `${r.failed} failed, ${r.errors} connection errors`;
  const perRound = (results: LoadResult[]) => results.map((r) => Math.round(r.throughput)).join(', ');
  return {
    rows: [
      loadRow({ ...base, label: 'limit: bare node:http, same body' }, limit, null, null, null),
      reference('reference: bare Fastify route, same body, logging off', framework),
      reference('reference: Fastify with Latchkey’s request set-up, same body, no token', setUp),
      loadRow(
        { ...base, label: 'user.info, Authorization: Bearer' },
        bearer,
        rss.bearer.bytes,
        limitText,
        check(bearer.throughput / limit.throughput, 0.65, 'min'),
      ),
      loadRow(
        { ...base, label: 'user.info, Cookie: session' },
        cookie,
        rss.cookie.bytes,
        limitText,
        check(cookie.throughput / limit.throughput, 0.65, 'min'),
      ),
    ],
    notes: [
      `${store}: ${rounds} alternating rounds (bearer, bare, cookie, Fastify, Fastify with set-up); req/s per round: bearer ${perRound(measured.bearer)}, bare ${perRound(measured.bare)}, cookie ${perRound(measured.cookie)}, Fastify ${perRound(measured.fastify)}, Fastify with set-up ${perRound(measured.setup)}.`,
      `${store}: ${connections} connections spread over ${tokens.length} tokens / ${cookies.length} cookies; bearer ${failures(bearer)}, cookie ${failures(cookie)}, bare ${failures(limit)}.`,
    ],
  };
}
