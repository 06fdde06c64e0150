import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { test } from 'node:test';
import { verify } from '@node-rs/argon2';
import { HashPool } from '../../src/identity/hash-pool.js';
import { isLatchkeyError } from '../../src/shared/errors.js';

const PARAMS = { memoryCost: 1024, timeCost: 1, parallelism: 1 };

/** The nice value of every thread of this process (Linux: field 19 of /proc/self/task/<tid>/stat). */
function threadNiceValues(): number[] {
  return readdirSync('/proc/self/task').map((tid) => {
    const stat = readFileSync(`/proc/self/task/${tid}/stat`, 'utf8');
    return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[16]);
  });
}

test('hashes made on the pool are ordinary argon2id hashes, and the pool verifies them', async () => {
  const pool = new HashPool(2, 10);
  try {
    const phc = await pool.hash('correct horse battery', PARAMS);
    assert.match(phc, /^\$argon2id\$v=19\$m=1024,t=1,p=1\$/);
    assert.equal(await verify(phc, 'correct horse battery'), true, 'the binding itself accepts it');
    assert.equal(await pool.verify(phc, 'correct horse battery'), true);
    assert.equal(await pool.verify(phc, 'wrong horse battery'), false);
    const parallel = await Promise.all(['a1234567', 'b1234567', 'c1234567'].map((p) => pool.hash(p, PARAMS)));
    assert.equal(new Set(parallel).size, 3, 'each job got its own answer');
  } finally {
    await pool.stop();
  }
});

test('a stored hash the binding cannot read verifies nothing, and the pool keeps working', async () => {
  const pool = new HashPool(1, 10);
  try {
    assert.equal(await pool.verify('not-a-phc-string', 'whatever1'), false);
    assert.equal(await pool.verify(await pool.hash('whatever1', PARAMS), 'whatever1'), true);
  } finally {
    await pool.stop();
  }
});

test('jobs of a thread that ends fail as overloaded (503), never as a wrong password or a hang', async () => {
  const pool = new HashPool(1, 10);
  const pending = pool.hash('interrupted', { memoryCost: 65536, timeCost: 3, parallelism: 1 });
  const stopping = pool.stop();
  // A job sent while the old thread is still ending goes to a new thread, and the old one's end does not fail it.
  const next = pool.hash('after-restart', PARAMS);
  await stopping;
  await assert.rejects(pending, (err: unknown) => isLatchkeyError(err) && err.code === 'overloaded');
  assert.match(await next, /^\$argon2id\$/);
  await pool.stop();
});

test('on Linux the hashing threads run at the given nice value; the event loop keeps its own', {
  skip: process.platform !== 'linux' ? 'thread priorities are set on Linux only' : false,
}, async () => {
  const before = threadNiceValues();
  assert.ok(!before.includes(13), 'no thread at 13 yet');
  const pool = new HashPool(1, 13);
  try {
    await pool.hash('priority', PARAMS);
    const after = threadNiceValues();
    assert.equal(after.filter((n) => n === 13).length, 1, 'exactly the one hashing thread runs at 13');
    assert.equal(threadNiceValues()[0], before[0], 'the main thread kept its priority');
  } finally {
    await pool.stop();
  }
});
