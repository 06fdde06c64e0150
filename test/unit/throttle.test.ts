import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isLatchkeyError } from '../../src/shared/errors.js';
import {
  ACCOUNT_POLICY,
  ADDRESS_POLICY,
  delayAfter,
  MemoryAttemptLimiter,
  Throttle,
} from '../../src/throttle/index.js';

test('delays grow from 1 s, doubling, capped at 15 min, after 5 free failures', () => {
  assert.deepEqual(
    [1, 5, 6, 7, 8, 15, 40].map((n) => delayAfter(ACCOUNT_POLICY, n)),
    [0, 0, 1000, 2000, 4000, 512_000, 900_000],
  );
});

test('attempts during a delay are refused with Retry-After; after it, one more try is allowed', async () => {
  const throttle = new Throttle(new MemoryAttemptLimiter(), 'test');
  const keys = [{ key: 'acct', policy: ACCOUNT_POLICY }];
  let now = 1_000_000;
  for (let i = 0; i < 6; i++) await throttle.attempt(keys, now);
  await assert.rejects(
    throttle.attempt(keys, now),
    (err: unknown) =>
      isLatchkeyError(err) && err.code === 'rate_limited' && err.details.retryAfterSeconds === 1,
  );
  now += 1000;
  await throttle.attempt(keys, now);
  await assert.rejects(
    throttle.attempt(keys, now + 1999),
    (err: unknown) => isLatchkeyError(err) && err.details.retryAfterSeconds === 1,
  );
  await throttle.attempt(keys, now + 2000);
});

test('a success resets the account; counters forget after the window', async () => {
  const limiter = new MemoryAttemptLimiter();
  const throttle = new Throttle(limiter, 'test');
  const keys = [{ key: 'acct', policy: ACCOUNT_POLICY }];
  for (let i = 0; i < 5; i++) await throttle.attempt(keys, 0);
  await throttle.succeeded('acct');
  for (let i = 0; i < 5; i++) await throttle.attempt(keys, 0);
  const later = ACCOUNT_POLICY.windowMs + 1;
  assert.equal((await limiter.attempt('test:acct', ACCOUNT_POLICY, later)).failures, 1);
});

test('parallel attempts are counted before evaluation: a burst of 150 lets at most 6 through', async () => {
  const throttle = new Throttle(new MemoryAttemptLimiter(), 'test');
  const keys = [{ key: 'acct', policy: ACCOUNT_POLICY }];
  const results = await Promise.allSettled(Array.from({ length: 150 }, () => throttle.attempt(keys, 5_000)));
  assert.equal(results.filter((r) => r.status === 'fulfilled').length, 6);
});

test('an address counts failures only: successes from one address never add up to a block', async () => {
  const throttle = new Throttle(new MemoryAttemptLimiter(), 'test');
  for (let i = 0; i < 200; i++) {
    const account = `user-${i}`;
    await throttle.attempt(
      [
        { key: account, policy: ACCOUNT_POLICY },
        { key: 'ip', policy: ADDRESS_POLICY },
      ],
      0,
    );
    await throttle.succeeded(account, ['ip']);
  }
  await throttle.attempt([{ key: 'ip', policy: ADDRESS_POLICY }], 0);
});

test('a refused attempt counts nowhere: the wider keys after the refusing one, and the ones before it, stay as they were', async () => {
  const limiter = new MemoryAttemptLimiter();
  const throttle = new Throttle(limiter, 'test');
  const ceiling = { key: 'account', policy: { ...ACCOUNT_POLICY, freeFailures: 100 } };
  const client = (ip: string) => ({ key: `account:${ip}`, policy: ACCOUNT_POLICY });
  for (let i = 0; i < 6; i++) await throttle.attempt([client('a'), ceiling], 0);
  for (let i = 0; i < 50; i++) await assert.rejects(throttle.attempt([client('a'), ceiling], 0));
  // Refused at the ceiling, the client's own attempt is taken back as well.
  const full = { key: 'full', policy: { ...ACCOUNT_POLICY, freeFailures: 0 } };
  await throttle.attempt([full], 0);
  await assert.rejects(throttle.attempt([client('b'), full], 0));
  assert.equal(
    (await limiter.attempt('test:account', ceiling.policy, 0)).failures,
    7,
    'only the 6 allowed counted',
  );
  assert.equal((await limiter.attempt('test:account:b', ACCOUNT_POLICY, 0)).failures, 1);
});
