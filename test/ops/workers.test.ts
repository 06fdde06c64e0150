import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { workerCount, workerHashSlots } from '../../src/cluster/workers.js';
import { hashSlots } from '../../src/identity/passwords.js';
import { runCli, type ServerProcess, startServerProcess } from '../helpers/process.js';
import { TEST_SECRET } from '../helpers/server.js';

/** One rpc call on a connection of its own (so the cluster hands it to the next worker), tagged with a request id. */
function rpcOnce(
  port: number,
  method: string,
  body: unknown,
  requestId: string,
  token?: string,
): Promise<{ status: number; body: { ok?: boolean; error?: { code?: number } } }> {
  const text = JSON.stringify(body);
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: '127.0.0.1',
        port,
        method: 'POST',
        path: `/api/${method}`,
        agent: false,
        headers: {
          'content-type': 'application/json',
          'content-length': Buffer.byteLength(text),
          'x-request-id': requestId,
          ...(token ? { authorization: `Bearer ${token}` } : {}),
        },
      },
      (res) => {
        let data = '';
        res.on('data', (d) => (data += String(d)));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: JSON.parse(data) }));
      },
    );
    req.on('error', reject);
    req.end(text);
  });
}

/** The log lines the server process has written so far, parsed. */
function logLines(server: ServerProcess): Array<Record<string, unknown>> {
  return server
    .output()
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}

/** Which worker process (pid) answered each request id with this prefix, from the access lines. */
function servedBy(server: ServerProcess, prefix: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of logLines(server))
    if (line['msg'] === 'request' && String(line['reqId']).startsWith(prefix))
      out.set(String(line['reqId']), line['pid'] as number);
  return out;
}

/** Waits (bounded) until `count` access lines of `prefix` are written: lines are buffered up to 250 ms. */
async function awaitLines(
  server: ServerProcess,
  prefix: string,
  count: number,
): Promise<Map<string, number>> {
  const deadline = Date.now() + 10_000;
  while (servedBy(server, prefix).size < count && Date.now() < deadline)
    await new Promise((r) => setTimeout(r, 50));
  return servedBy(server, prefix);
}

const listeningWorkers = (server: ServerProcess) =>
  logLines(server).filter((l) => l['msg'] === 'latchkey listening').length;

async function until(what: string, check: () => boolean, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

test('LATCHKEY_WORKERS: auto is one per core, a number is taken as is; hash slots are shared out, at least one each', () => {
  assert.equal(workerCount('3'), 3);
  assert.ok(workerCount('auto') >= 1);
  assert.equal(workerHashSlots(8, 2), 4);
  assert.equal(workerHashSlots(3, 2), 1);
  assert.equal(workerHashSlots(1, 4), 1);
  assert.equal(workerHashSlots(0, 1), hashSlots(0));
});

test('LATCHKEY_WORKERS rejects anything but auto or a whole number, naming the key', () => {
  const result = runCli(['serve'], { env: { LATCHKEY_WORKERS: 'many', LATCHKEY_SECRET: TEST_SECRET } });
  assert.notEqual(result.code, 0);
  assert.match(result.stderr, /LATCHKEY_WORKERS/);
});

describe('two workers on the embedded SQLite store, without Redis', () => {
  const dir = mkdtempSync(join(tmpdir(), 'latchkey-workers-'));
  const env = {
    DATABASE_URL: `sqlite:${join(dir, 'latchkey.db')}`,
    LATCHKEY_DATA_DIR: dir,
    LATCHKEY_SECRET: TEST_SECRET,
    LATCHKEY_WORKERS: '2',
  };
  let server: ServerProcess;

  before(async () => {
    const created = runCli(
      [
        'user',
        'create',
        '--username',
        'coyote',
        '--email',
        'coyote@acme.com',
        '--password',
        'acme-rocket-skates',
      ],
      { env },
    );
    assert.equal(created.code, 0, created.stderr);
    server = await startServerProcess(env, { timeoutMs: 60_000 });
    await until('both workers to listen', () => listeningWorkers(server) >= 2);
  });

  after(async () => {
    if (server.child.exitCode === null) {
      server.child.kill('SIGTERM');
      await server.exited;
    }
  });

  test('a sign-out through one worker holds at once on the other', async () => {
    const signedIn = await rpcOnce(
      server.port,
      'session.issueToken',
      { user: 'coyote', password: 'acme-rocket-skates' },
      'signin-1',
    );
    const token = (signedIn.body as { token?: string }).token!;
    assert.ok(token);
    for (let i = 0; i < 10; i++)
      assert.equal((await rpcOnce(server.port, 'user.info', {}, `before-${i}`, token)).body.ok, true);
    const out = await rpcOnce(server.port, 'session.destroyToken', { token }, 'signout-1');
    assert.equal(out.body.ok, true);
    // Right after the answer, with no wait: every worker refuses the token.
    const answers = [];
    for (let i = 0; i < 20; i++)
      answers.push(await rpcOnce(server.port, 'user.info', {}, `after-${i}`, token));
    for (const answer of answers) assert.equal(answer.body.error?.code, 10000);
    const workers = new Set((await awaitLines(server, 'after-', 20)).values());
    assert.equal(workers.size, 2, 'both workers answered after the sign-out');
    assert.ok(![...workers].includes(server.child.pid!), 'the primary answers no request');
  });

  test('a profile change through one worker is seen at once on the other (its cached user is evicted)', async () => {
    const created = runCli(
      ['user', 'create', '--username', 'wile', '--email', 'wile@acme.com', '--password', 'super-genius-1'],
      { env },
    );
    assert.equal(created.code, 0, created.stderr);
    const signedIn = await rpcOnce(
      server.port,
      'session.issueToken',
      { user: 'wile', password: 'super-genius-1' },
      'signin-2',
    );
    const token = (signedIn.body as { token?: string }).token!;
    // Both workers answer user.info, so both hold the user in their caches.
    let id = '';
    for (let i = 0; i < 10; i++) {
      const info = await rpcOnce(server.port, 'user.info', {}, `warm-${i}`, token);
      id = (info.body as { user: { id: string } }).user.id;
    }
    assert.equal(new Set((await awaitLines(server, 'warm-', 10)).values()).size, 2);
    const updated = await rpcOnce(
      server.port,
      'user.update',
      { id, fullName: 'Wile E. Coyote' },
      'update-1',
      token,
    );
    assert.equal(updated.body.ok, true, JSON.stringify(updated.body));
    const names = [];
    for (let i = 0; i < 20; i++)
      names.push(
        (
          (await rpcOnce(server.port, 'user.info', {}, `fresh-${i}`, token)).body as {
            user: { fullName?: string };
          }
        ).user.fullName,
      );
    assert.deepEqual(new Set(names), new Set(['Wile E. Coyote']));
    assert.equal(new Set((await awaitLines(server, 'fresh-', 20)).values()).size, 2);
  });

  test('attempt counters hold across workers: a limit is not doubled by two workers', async () => {
    const answers = [];
    for (let i = 0; i < 12; i++)
      answers.push(
        await rpcOnce(
          server.port,
          'session.issueToken',
          { user: 'coyote', password: `wrong-${i}-password` },
          `guess-${i}`,
        ),
      );
    const checked = answers.filter((a) => a.body.error?.code === 10002).length;
    const refused = answers.filter((a) => a.status === 429).length;
    // Shared counters: 5 free failures, then the account waits (1 s, 2 s, 4 s …), so of 12 quick
    // guesses about 6 are checked. Each worker counting alone would check all 12 (6 each).
    assert.ok(checked <= 8, `${checked} guesses were checked`);
    assert.ok(refused >= 4, `${refused} guesses were refused`);
    const workers = new Set((await awaitLines(server, 'guess-', 12)).values());
    assert.equal(workers.size, 2, 'both workers answered the guesses');
  });

  test('a worker that dies is replaced, and its death is logged', async () => {
    const before = listeningWorkers(server);
    const victim = [...(await awaitLines(server, 'after-', 20)).values()][0]!;
    process.kill(victim, 'SIGKILL');
    await until('the replacement to listen', () => listeningWorkers(server) >= before + 1);
    const death = logLines(server).find((l) => l['msg'] === 'worker died; starting a replacement');
    assert.ok(death, 'the death is logged');
    assert.equal(death['workerPid'], victim);
    assert.equal(death['signal'], 'SIGKILL');
    const answers = [];
    for (let i = 0; i < 10; i++) answers.push(await rpcOnce(server.port, 'user.info', {}, `alive-${i}`));
    for (const answer of answers) assert.equal(answer.body.error?.code, 10000);
    const workers = new Set((await awaitLines(server, 'alive-', 10)).values());
    assert.equal(workers.size, 2, 'two workers answer again');
    assert.ok(!workers.has(victim));
  });

  test('SIGTERM drains every worker, then the primary exits 0', async () => {
    const workers = new Set((await awaitLines(server, 'alive-', 10)).values());
    server.child.kill('SIGTERM');
    assert.equal(await server.exited, 0);
    const lines = logLines(server);
    for (const pid of workers)
      assert.ok(
        lines.some((l) => l['pid'] === pid && l['msg'] === 'shutting down'),
        `worker ${pid} drained`,
      );
    assert.ok(lines.some((l) => l['msg'] === 'all workers stopped' && l['failed'] === false));
  });
});
