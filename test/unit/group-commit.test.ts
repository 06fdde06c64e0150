import assert from 'node:assert/strict';
import { test } from 'node:test';
import { GroupCommit } from '../../src/storage/sql/group-commit.js';

function recorder() {
  const batches: number[][] = [];
  const singles: number[] = [];
  const commit = new GroupCommit<number, string>(
    async (items) => {
      batches.push([...items]);
      if (items.includes(13)) throw new Error('constraint failed');
      return items.map((i) => `batch:${i}`);
    },
    async (item) => {
      singles.push(item);
      if (item === 13) throw new Error('constraint failed');
      return `alone:${item}`;
    },
    4,
  );
  return { commit, batches, singles };
}

test('writes submitted together share one transaction, in order, up to the batch size', async () => {
  const { commit, batches, singles } = recorder();
  const results = await Promise.all([1, 2, 3, 4, 5, 6].map((i) => commit.submit(i)));
  assert.deepEqual(results, ['batch:1', 'batch:2', 'batch:3', 'batch:4', 'batch:5', 'batch:6']);
  assert.deepEqual(batches, [
    [1, 2, 3, 4],
    [5, 6],
  ]);
  assert.deepEqual(singles, []);
});

test('a write on its own runs alone; a later one starts a new round', async () => {
  const { commit, batches, singles } = recorder();
  assert.equal(await commit.submit(7), 'alone:7');
  assert.equal(await commit.submit(8), 'alone:8');
  assert.deepEqual(batches, []);
  assert.deepEqual(singles, [7, 8]);
});

test('when a batch fails, each of its writes is retried alone and only the bad one fails', async () => {
  const { commit, singles } = recorder();
  const outcomes = await Promise.allSettled([12, 13, 14].map((i) => commit.submit(i)));
  assert.deepEqual(
    outcomes.map((o) => (o.status === 'fulfilled' ? o.value : (o.reason as Error).message)),
    ['alone:12', 'constraint failed', 'alone:14'],
  );
  assert.deepEqual(singles, [12, 13, 14]);
});
