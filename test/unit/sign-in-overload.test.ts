import assert from 'node:assert/strict';
import { test } from 'node:test';
import { PasswordHasher } from '../../src/identity/passwords.js';
import type { UserRepository } from '../../src/identity/ports.js';
import { SignInService } from '../../src/identity/sign-in.js';
import type { MfaService } from '../../src/mfa/index.js';
import { systemClock } from '../../src/shared/clock.js';
import { isLatchkeyError } from '../../src/shared/errors.js';
import { DeviceTokens } from '../../src/throttle/device-tokens.js';
import type { AttemptLimiter } from '../../src/throttle/limiter.js';
import { Throttle } from '../../src/throttle/throttle.js';

test('a sign-in that would wait too long for a hash is refused before its look-up and its throttle', async () => {
  const hasher = new PasswordHasher(
    { memoryCost: 4096, timeCost: 3, parallelism: 1 },
    { concurrency: 1, maxQueue: 0, maxWaitMs: 60_000 },
  );
  const touched: string[] = [];
  const users = {
    findByLogin: async () => {
      touched.push('look-up');
      return null;
    },
  } as unknown as UserRepository;
  const limiter: AttemptLimiter = {
    attempt: async () => {
      touched.push('throttle');
      return { allowed: true, retryAfterMs: 0 } as never;
    },
    reset: async () => {},
    refund: async () => {},
  };
  const signIn = new SignInService(
    users,
    hasher,
    systemClock,
    new Throttle(limiter, 'signin'),
    {} as MfaService,
    new DeviceTokens({ current: 'unit-test-master-secret', fallbacks: [] }, systemClock, 86400),
  );
  const running = hasher.hash('holds the only slot');
  await assert.rejects(
    signIn.verifyPassword('app', 'someone', 'a password', { ip: null }, undefined, undefined),
    (err: unknown) =>
      isLatchkeyError(err) && err.code === 'overloaded' && err.details.retryAfterSeconds === 1,
  );
  assert.deepEqual(touched, [], 'a refused sign-in costs the store and the throttle nothing');
  await running;
});
