import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { type FeathersTestServer, feathersUser, startFeathersServer } from '../feathers/support.js';
import { backends } from '../helpers/backends.js';
import { UNLIMITED } from '../helpers/server.js';

/**
 * The work a request leaves behind must not tell whether an account exists. A reset
 * request for an existing account looks it up, stores a token, queues a mail and sends
 * it; for a missing one it only looks. When that ran right after the answer, the
 * caller's next request (a `GET /healthz` sent just after) waited for it: 6-9 ms against
 * 2 ms, so one probe told the two apart 85 % of the time.
 *
 * Measured as an attacker would, over real sockets and with the SMTP transport (its
 * sending costs this process too), with the two classes interleaved so that machine
 * noise hits both alike. The statistic is the probability that a probe after the
 * existing account's request is slower than one after the missing account's (the
 * Mann-Whitney AUC): 0.5 when nothing leaks, about 0.85 before the fix. Around 0.5 it
 * varies by about 0.05 with 60 samples a class, so 0.7 leaves three of those for a busy
 * machine; a real leak skews every series, so up to three are measured and one passes.
 */
const ROUNDS = 60;
const LIMIT = 0.7;

/** P(a probe of class `slow` > a probe of class `fast`), ties counted half. */
function auc(slow: number[], fast: number[]): number {
  let wins = 0;
  for (const s of slow) for (const f of fast) wins += s > f ? 1 : s === f ? 0.5 : 0;
  return wins / (slow.length * fast.length);
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

const [sqlite] = await backends();

describe('no side channel in the work left after the answer', () => {
  let server: FeathersTestServer;
  let base: string;
  let mails = 0;
  before(async () => {
    // Throttling is off: hundreds of requests for one account would (rightly) be refused.
    // Overload shedding too: on a busy machine a sign-up's hash could be refused with a 503.
    server = await startFeathersServer(sqlite!, {
      limiter: UNLIMITED,
      overrides: { 'hash.maxWaitMs': 60_000 },
    });
    await server.app.listen({ port: 0, host: '127.0.0.1' });
    const address = server.app.server.address();
    assert.ok(address && typeof address === 'object');
    base = `http://127.0.0.1:${address.port}`;
  });
  after(() => server.close());

  const post = async (path: string, body: unknown) => {
    const res = await fetch(`${base}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    await res.arrayBuffer();
    return res.status;
  };

  /** The request, then at once the timed probe, then (untimed) everything it left behind. */
  async function probeAfter(path: string, body: unknown, expected: number): Promise<number> {
    assert.equal(await post(path, body), expected);
    const started = performance.now();
    const probe = await fetch(`${base}/healthz`);
    await probe.arrayBuffer();
    const elapsed = performance.now() - started;
    assert.equal(probe.status, 200);
    await server.services.identity.account.settled();
    await server.services.registration.idle();
    await server.services.mail.flush();
    mails = server.smtp.received.length;
    return elapsed;
  }

  async function assertNoLeak(
    slow: () => Promise<number>,
    fast: () => Promise<number>,
    mailsPerRound: number,
  ): Promise<void> {
    const failures: string[] = [];
    for (let series = 0; series < 3; series++) {
      const samples = { slow: [] as number[], fast: [] as number[] };
      for (let round = 0; round < ROUNDS; round++) {
        const before = mails;
        // Alternating which goes first, so that neither always follows the other's mail.
        if (round % 2 === 0) {
          samples.slow.push(await slow());
          samples.fast.push(await fast());
        } else {
          samples.fast.push(await fast());
          samples.slow.push(await slow());
        }
        // The round's mail has arrived before the next round: none of it spills into a probe.
        mails = (await server.smtp.waitFor(before + mailsPerRound)).length;
      }
      const score = auc(samples.slow, samples.fast);
      if (score < LIMIT) return;
      failures.push(
        `AUC ${score.toFixed(2)}; medians ${median(samples.slow).toFixed(2)} ms against ${median(samples.fast).toFixed(2)} ms`,
      );
    }
    assert.fail(`the probe tells the classes apart:\n${failures.join('\n')}`);
  }

  test('rpc user.forgotPassword: an existing account and a missing one leave the same delay', async () => {
    const known = await feathersUser(server, 'reset.known@side.example');
    await assertNoLeak(
      () => probeAfter('/api/user.forgotPassword', { userKey: known.email }, 200),
      () => probeAfter('/api/user.forgotPassword', { userKey: 'reset.nobody@side.example' }, 200),
      1,
    );
  });

  test('feathers /signup: a new address and a taken one leave the same delay', async () => {
    const taken = await feathersUser(server, 'signup.taken@side.example');
    let fresh = 0;
    await assertNoLeak(
      () =>
        probeAfter(
          '/signup',
          { email: `signup.new${++fresh}@side.example`, password: 'a long password 1' },
          201,
        ),
      () => probeAfter('/signup', { email: taken.email, password: 'a long password 1' }, 201),
      1,
    );
  });
});
