import assert from 'node:assert/strict';
import { availableParallelism } from 'node:os';
import { test } from 'node:test';
import { hashSlots, OWASP_ARGON2, PasswordHasher } from '../../src/identity/passwords.js';
import { isLatchkeyError } from '../../src/shared/errors.js';
import { Sealer } from '../../src/shared/seal.js';

test('sealed values round-trip, differ each time, and fail closed when tampered or opened with another key', () => {
  const sealer = new Sealer('master-secret-0123456789-0123456789', 'purpose-a');
  const a = sealer.seal('private key');
  const b = sealer.seal('private key');
  assert.notEqual(a, b, 'a fresh IV every time');
  assert.equal(sealer.open(a), 'private key');
  assert.ok(!a.includes('private key'));
  const parts = a.split('.');
  const body = Buffer.from(parts[3]!, 'base64url');
  body[0]! ^= 1;
  parts[3] = body.toString('base64url');
  assert.throws(() => sealer.open(parts.join('.')));
  assert.throws(
    () => new Sealer('master-secret-0123456789-0123456789', 'purpose-b').open(a),
    'keys are derived per purpose',
  );
  assert.throws(() => new Sealer('another-master-secret-0123456789-xx', 'purpose-a').open(a));
});

test('a fallback secret opens what was sealed under it; only the current secret seals; reseal moves a value to the current secret', () => {
  const OLD = 'old-master-secret-0123456789-0123456789';
  const NEW = 'new-master-secret-0123456789-0123456789';
  const before = new Sealer(OLD, 'purpose-a');
  const sealedOld = before.seal('totp secret');
  const rotating = new Sealer({ current: NEW, fallbacks: [OLD] }, 'purpose-a');
  assert.equal(rotating.open(sealedOld), 'totp secret');
  assert.equal(rotating.opener(sealedOld), 1, 'opened by the first fallback');
  const sealedNew = rotating.seal('totp secret');
  assert.equal(rotating.opener(sealedNew), 0, 'sealed under the current secret');
  assert.throws(() => before.open(sealedNew), 'the old secret alone cannot open a new value');
  const resealed = rotating.reseal(sealedOld);
  assert.equal(rotating.opener(resealed), 0);
  const after = new Sealer(NEW, 'purpose-a');
  assert.equal(after.open(resealed), 'totp secret', 'the fallback is no longer needed');
  assert.throws(() => after.open(sealedOld), /does not open under the master secret or its fallbacks/);
  assert.equal(after.opener(sealedOld), -1);
  assert.equal(after.opener('not a sealed value'), -1, 'a malformed value opens under nothing');
  assert.equal(
    new Sealer({ current: NEW, fallbacks: [OLD] }, 'purpose-b').opener(sealedOld),
    -1,
    'fallback keys are derived per purpose too',
  );
});

test('production hashes are argon2id with m=19456 KiB, t=2, p=1, salted per hash', async () => {
  const hasher = new PasswordHasher(OWASP_ARGON2);
  const one = await hasher.hash('same password');
  const two = await hasher.hash('same password');
  assert.match(one, /^\$argon2id\$v=19\$m=19456,t=2,p=1\$/);
  assert.notEqual(one, two);
  assert.equal(await hasher.verify(one, 'same password'), true);
  assert.equal(hasher.needsRehash(one), false);
  assert.equal(new PasswordHasher({ memoryCost: 1024, timeCost: 1, parallelism: 1 }).needsRehash(one), true);
  assert.equal(hasher.needsRehash('$2b$10$abcdefghijklmnopqrstuv'), true);
});

test('passwords are neither trimmed nor truncated, case matters, and NFKC forms are equal', async () => {
  const hasher = new PasswordHasher({ memoryCost: 1024, timeCost: 1, parallelism: 1 });
  const long = `${'a'.repeat(99)}Z`;
  const hash = await hasher.hash(long);
  assert.equal(await hasher.verify(hash, long), true);
  assert.equal(await hasher.verify(hash, long.slice(0, 72)), false);
  assert.equal(await hasher.verify(hash, long.toLowerCase()), false);
  const spaced = await hasher.hash(' padded ');
  assert.equal(await hasher.verify(spaced, 'padded'), false);
  assert.equal(await hasher.verify(spaced, ' padded '), true);
  const composed = await hasher.hash('caf\u00e9 au lait');
  assert.equal(
    await hasher.verify(composed, 'cafe\u0301 au lait'),
    true,
    'U+00E9 equals e + U+0301 after NFKC',
  );
  assert.equal(await hasher.verify(null, 'anything'), false, 'a missing hash never verifies');
});

test('the hash queue is bounded: past it, callers are refused at once with overloaded + Retry-After', async () => {
  const hasher = new PasswordHasher(
    { memoryCost: 4096, timeCost: 3, parallelism: 1 },
    { concurrency: 1, maxQueue: 2, maxWaitMs: 60_000 },
  );
  const results = await Promise.allSettled(Array.from({ length: 6 }, () => hasher.hash('queued password')));
  const refused = results.filter((r) => r.status === 'rejected');
  assert.equal(results.filter((r) => r.status === 'fulfilled').length, 3, 'one running + two queued');
  assert.equal(refused.length, 3);
  for (const r of refused) {
    const reason = (r as PromiseRejectedResult).reason;
    assert.ok(
      isLatchkeyError(reason) && reason.code === 'overloaded' && reason.details.retryAfterSeconds === 1,
    );
  }
  assert.deepEqual(hasher.stats(), { running: 0, queued: 0 });
});

test('a hash that would wait longer than maxWaitMs is refused at once, judged from the recent hash times', async () => {
  const hasher = new PasswordHasher(
    { memoryCost: 4096, timeCost: 3, parallelism: 1 },
    { concurrency: 1, maxQueue: 100, maxWaitMs: 0 },
  );
  // Nothing timed yet: the first queue is admitted on the count limit alone.
  const first = await Promise.allSettled([hasher.hash('one password'), hasher.hash('two password')]);
  assert.deepEqual(
    first.map((r) => r.status),
    ['fulfilled', 'fulfilled'],
  );
  // Now a hash takes a known, non-zero time: any wait exceeds 0 ms, so only the running one is taken.
  const results = await Promise.allSettled(Array.from({ length: 4 }, () => hasher.hash('queued password')));
  assert.deepEqual(
    results.map((r) => r.status),
    ['fulfilled', 'rejected', 'rejected', 'rejected'],
  );
  for (const r of results.slice(1)) {
    const reason = (r as PromiseRejectedResult).reason;
    assert.ok(isLatchkeyError(reason) && reason.code === 'overloaded');
  }
  // A generous budget admits the same burst.
  const patient = new PasswordHasher(
    { memoryCost: 4096, timeCost: 3, parallelism: 1 },
    { concurrency: 1, maxQueue: 100, maxWaitMs: 60_000 },
  );
  await patient.hash('warm password');
  const all = await Promise.allSettled(Array.from({ length: 4 }, () => patient.hash('queued password')));
  assert.ok(all.every((r) => r.status === 'fulfilled'));
});

test('admit refuses at once exactly when a hash asked for now would be refused', async () => {
  const hasher = new PasswordHasher(
    { memoryCost: 4096, timeCost: 3, parallelism: 1 },
    { concurrency: 1, maxQueue: 1, maxWaitMs: 60_000 },
  );
  hasher.admit();
  const running = hasher.hash('running password');
  hasher.admit(); // one running, the queue still has room
  const queued = hasher.hash('queued password');
  assert.throws(
    () => hasher.admit(),
    (err: unknown) =>
      isLatchkeyError(err) && err.code === 'overloaded' && err.details.retryAfterSeconds === 1,
  );
  await Promise.all([running, queued]);
  hasher.admit();
});

test('hash slots: 0 means one fewer than the cores, at least one; a number is taken as given', () => {
  assert.equal(hashSlots(0), Math.max(1, availableParallelism() - 1));
  assert.equal(hashSlots(3), 3);
  assert.equal(new PasswordHasher(OWASP_ARGON2, { concurrency: 0 }).concurrency, hashSlots(0));
});

test('an onWait observer that throws does not keep the slot it was handed', async () => {
  const hasher = new PasswordHasher(
    { memoryCost: 1024, timeCost: 1, parallelism: 1 },
    { concurrency: 1, maxQueue: 10, maxWaitMs: 60_000 },
  );
  hasher.onWait = () => {
    throw new Error('observer failed');
  };
  const results = await Promise.allSettled([hasher.hash('first password'), hasher.hash('second password')]);
  assert.deepEqual(
    results.map((r) => r.status),
    ['fulfilled', 'rejected'],
  );
  assert.deepEqual(hasher.stats(), { running: 0, queued: 0 });
  assert.match(await hasher.hash('third password'), /^\$argon2id\$/);
});
