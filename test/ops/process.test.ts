import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, statSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { startServerProcess } from '../helpers/process.js';
import { TEST_SECRET } from '../helpers/server.js';

test('with no configuration at all, serve creates ./data with the SQLite store and a 0600 secret', async () => {
  const cwd = mkdtempSync(join(tmpdir(), 'latchkey-start-'));
  const server = await startServerProcess({}, { cwd });
  try {
    assert.ok(existsSync(join(cwd, 'data', 'latchkey.db')));
    assert.equal(statSync(join(cwd, 'data', 'secret')).mode & 0o777, 0o600);
    const health = await fetch(`${server.url}/healthz`);
    assert.deepEqual(await health.json(), { status: 'ok' });
    const ready = await fetch(`${server.url}/readyz`);
    assert.deepEqual(await ready.json(), { status: 'ready', checks: { storage: 'ok' } });
    assert.match(server.output(), /"msg":"latchkey listening"/);
  } finally {
    server.child.kill('SIGTERM');
    await server.exited;
  }
});

/** Polls for an outcome; the deadline only catches one that never comes. */
async function until(done: () => boolean, message: string, deadlineMs = 15_000): Promise<void> {
  const deadline = Date.now() + deadlineMs;
  while (!done()) {
    assert.ok(Date.now() < deadline, message);
    await new Promise((r) => setTimeout(r, 10));
  }
}

test('SIGTERM lets an in-flight request finish, then exits 0', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'latchkey-term-'));
  const server = await startServerProcess({
    DATABASE_URL: `sqlite:${join(dir, 'db')}`,
    LATCHKEY_DATA_DIR: dir,
    LATCHKEY_SECRET: TEST_SECRET,
  });
  const body = JSON.stringify({ user: 'nobody', password: 'whatever-password' });
  const socket = connect(server.port, '127.0.0.1');
  await new Promise<void>((resolve) => socket.once('connect', () => resolve()));
  let response = '';
  socket.on('data', (d) => (response += String(d)));
  const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
  // Headers and part of the body, asking for 100 Continue: the server's "100 Continue" proves
  // the request is in flight (no guess at how long a busy machine takes to read it).
  socket.write(
    `POST /api/session.issueToken HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nExpect: 100-continue\r\nConnection: close\r\n\r\n${body.slice(0, 10)}`,
  );
  await until(() => /^HTTP\/1\.1 100 Continue\r\n\r\n/.test(response), 'the server never read the request');
  server.child.kill('SIGTERM');
  // The server has begun to shut down (it logs that, then closes) before the body ends.
  await until(() => /shutting down/.test(server.output()), 'the server never began to shut down');
  socket.write(body.slice(10));
  await closed;
  assert.match(response, /^HTTP\/1\.1 100 Continue\r\n\r\nHTTP\/1\.1 200/);
  assert.match(response, /"code":10002/);
  assert.equal(await server.exited, 0);
  assert.match(server.output(), /shutting down/);
});

test('buffered access lines are all written: by the flush timer while the server runs, and at SIGTERM', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'latchkey-logbuf-'));
  const server = await startServerProcess({
    DATABASE_URL: `sqlite:${join(dir, 'db')}`,
    LATCHKEY_DATA_DIR: dir,
    LATCHKEY_SECRET: TEST_SECRET,
  });
  const accessLines = () => server.output().match(/"path":"\/healthz","status":200/g)?.length ?? 0;
  try {
    // Three lines are far below the 4 KiB buffer: only the timer can write them while the server runs.
    for (let i = 0; i < 3; i++) await (await fetch(`${server.url}/healthz`)).arrayBuffer();
    const deadline = Date.now() + 10_000;
    while (accessLines() < 3 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    assert.equal(accessLines(), 3);
    // Lines still buffered when the signal comes are written before the process exits.
    for (let i = 0; i < 5; i++) await (await fetch(`${server.url}/healthz`)).arrayBuffer();
  } finally {
    server.child.kill('SIGTERM');
    assert.equal(await server.exited, 0);
  }
  assert.equal(accessLines(), 8);
});
