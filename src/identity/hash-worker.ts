/**
 * One argon2id worker thread (see hash-pool.ts). It lowers its own scheduling priority
 * first: on Linux a thread's nice value is its own, so the event loop that answers
 * token checks keeps its priority while this thread hashes.
 */
import { setPriority } from 'node:os';
import { parentPort, workerData } from 'node:worker_threads';
import { Algorithm, hashSync, verifySync } from '@node-rs/argon2';
import type { HashJob, HashResult } from './hash-pool.js';

const { nice } = workerData as { nice: number | null };
if (nice !== null) {
  try {
    setPriority(nice);
  } catch {
    // Not permitted here (a sandbox): hash at normal priority rather than not at all.
  }
}

parentPort?.on('message', (job: HashJob) => {
  let result: HashResult;
  try {
    if (job.op === 'hash') {
      result = {
        id: job.id,
        value: hashSync(job.password, {
          algorithm: Algorithm.Argon2id,
          memoryCost: job.params.memoryCost,
          timeCost: job.params.timeCost,
          parallelism: job.params.parallelism,
        }),
      };
    } else {
      result = { id: job.id, value: verifies(job.phc, job.password) };
    }
  } catch (err) {
    result = { id: job.id, error: err instanceof Error ? err.message : String(err) };
  }
  parentPort?.postMessage(result);
});

/** A stored hash the binding cannot read (corrupt, another algorithm) verifies nothing: false, as a wrong password. */
function verifies(phc: string, password: string): boolean {
  try {
    return verifySync(phc, password);
  } catch {
    return false;
  }
}
