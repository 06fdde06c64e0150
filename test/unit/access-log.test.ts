import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { test } from 'node:test';
import type { FastifyBaseLogger } from 'fastify';
import pino from 'pino';
import { writeAccessLine } from '../../src/http/access-log.js';
import { type LazyRequestLogger, lazyChildLogger } from '../../src/http/request-logger.js';

function capture(level = 'info'): { log: pino.Logger; lines: () => Record<string, unknown>[] } {
  const chunks: string[] = [];
  const stream = new Writable({
    write(chunk, _encoding, done) {
      chunks.push(String(chunk));
      done();
    },
  });
  const log = pino({ level }, stream);
  return {
    log,
    lines: () =>
      chunks
        .join('')
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l) as Record<string, unknown>),
  };
}

const FIELDS = { method: 'POST', path: '/api/user.info', status: 200, ms: 3 };

test('the fast access line is the line pino itself writes for the same fields', async () => {
  const fast = capture();
  const ordinary = capture();
  writeAccessLine(fast.log.child({ reqId: 'req-1' }) as unknown as FastifyBaseLogger, FIELDS);
  ordinary.log.child({ reqId: 'req-1' }).info(FIELDS, 'request');
  await new Promise((resolve) => setImmediate(resolve));
  const [a] = fast.lines();
  const [b] = ordinary.lines();
  assert.ok(a && b);
  assert.equal(typeof a['time'], 'number');
  assert.deepEqual({ ...a, time: 0 }, { ...b, time: 0 });
  assert.deepEqual(Object.keys(a), Object.keys(b), 'same keys in the same order');
});

test('a path with quotes, backslashes and control characters stays one valid JSON line', async () => {
  const { log, lines } = capture();
  const path = '/x"y\\z\n{"level":60}';
  writeAccessLine(log as unknown as FastifyBaseLogger, { ...FIELDS, path });
  await new Promise((resolve) => setImmediate(resolve));
  const all = lines();
  assert.equal(all.length, 1);
  assert.equal(all[0]?.['path'], path);
  assert.equal(all[0]?.['level'], 30);
});

test('nothing is written when the level is above info', async () => {
  const { log, lines } = capture('warn');
  writeAccessLine(log as unknown as FastifyBaseLogger, FIELDS);
  await new Promise((resolve) => setImmediate(resolve));
  assert.equal(lines().length, 0);
});

test('a logger that is not pino gets the ordinary call', () => {
  const calls: unknown[][] = [];
  const log = { info: (...args: unknown[]) => calls.push(args) } as unknown as FastifyBaseLogger;
  writeAccessLine(log, FIELDS);
  assert.deepEqual(calls, [[FIELDS, 'request']]);
});

test('a multistream destination (which routes each line by its level) gets pino’s own call', async () => {
  const info: string[] = [];
  const errors: string[] = [];
  const sink = (into: string[]) =>
    new Writable({
      write(chunk, _encoding, done) {
        into.push(String(chunk));
        done();
      },
    });
  const log = pino(
    { level: 'info' },
    pino.multistream([
      { level: 'info', stream: sink(info) },
      { level: 'error', stream: sink(errors) },
    ]),
  );
  log.error('an earlier error line');
  writeAccessLine(log as unknown as FastifyBaseLogger, FIELDS);
  await new Promise((resolve) => setImmediate(resolve));
  assert.equal(errors.length, 1, 'the access line did not follow the error line to the error stream');
  assert.equal(info.length, 2);
  assert.equal((JSON.parse(info[1] ?? '{}') as { msg?: string }).msg, 'request');
});

test('a request logger not yet made into a child writes the same access line as the pino child would', async () => {
  const lazy = capture();
  const ordinary = capture();
  const requestLog = lazyChildLogger(lazy.log as unknown as FastifyBaseLogger, { reqId: 'req-"2"' }, {});
  writeAccessLine(requestLog, FIELDS);
  assert.equal((requestLog as unknown as LazyRequestLogger).made, undefined, 'no child was made for it');
  ordinary.log.child({ reqId: 'req-"2"' }).info(FIELDS, 'request');
  await new Promise((resolve) => setImmediate(resolve));
  const [a] = lazy.lines();
  const [b] = ordinary.lines();
  assert.ok(a && b);
  assert.deepEqual({ ...a, time: 0 }, { ...b, time: 0 });
  assert.deepEqual(Object.keys(a), Object.keys(b), 'same keys in the same order');
});

test('whatever else a request logs goes through a real child with the request id', async () => {
  const { log, lines } = capture();
  const requestLog = lazyChildLogger(log as unknown as FastifyBaseLogger, { reqId: 'req-3' }, {});
  requestLog.error({ code: 7 }, 'storage unavailable');
  writeAccessLine(requestLog, FIELDS);
  await new Promise((resolve) => setImmediate(resolve));
  const [error, access] = lines();
  assert.equal(error?.['reqId'], 'req-3');
  assert.equal(error?.['code'], 7);
  assert.equal(error?.['msg'], 'storage unavailable');
  assert.equal(access?.['reqId'], 'req-3');
  assert.equal(access?.['msg'], 'request');
});
