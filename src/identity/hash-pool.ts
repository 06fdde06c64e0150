import { Worker } from 'node:worker_threads';
import { LatchkeyError } from '../shared/errors.js';

export interface Argon2Params {
  memoryCost: number;
  timeCost: number;
  parallelism: number;
}

type Job =
  | { op: 'hash'; password: string; params: Argon2Params }
  | { op: 'verify'; phc: string; password: string };

export type HashJob = Job & { id: number };

export type HashResult = { id: number; value: string | boolean } | { id: number; error: string };

interface Pending {
  resolve: (value: string | boolean) => void;
  reject: (err: Error) => void;
}

/** A running worker and the jobs sent to it (its own: a dead worker fails only these). */
interface Running {
  worker: Worker;
  pending: Map<number, Pending>;
}

/**
 * The pool could not hash (a thread died or is being stopped): a 503 with Retry-After
 * in every dialect, never a wrong password (which would count against the account).
 * The cause stays on the error (`cause`) for the server's log, not in the answer.
 */
function unavailable(reason: string): LatchkeyError {
  const err = new LatchkeyError('overloaded', 'Password hashing is unavailable; try again shortly', {
    retryAfterSeconds: 1,
  });
  err.cause = reason;
  return err;
}

/** One worker thread, started on its first job and again after it ended. */
class HashThread {
  private running: Running | null = null;

  constructor(private readonly nice: number | null) {}

  get load(): number {
    return this.running?.pending.size ?? 0;
  }

  run(id: number, job: Job): Promise<string | boolean> {
    const { worker, pending } = this.started();
    return new Promise((resolve, reject) => {
      pending.set(id, { resolve, reject });
      // A thread with work keeps the process alive (a CLI awaiting a hash); an idle one does not.
      worker.ref();
      worker.postMessage({ id, ...job } satisfies HashJob);
    });
  }

  private started(): Running {
    if (this.running) return this.running;
    const worker = new Worker(new URL('./hash-worker.js', import.meta.url), {
      workerData: { nice: this.nice },
    });
    const running: Running = { worker, pending: new Map() };
    worker.unref();
    worker.on('message', (result: HashResult) => {
      const waiting = running.pending.get(result.id);
      running.pending.delete(result.id);
      if (running.pending.size === 0) worker.unref();
      if (!waiting) return;
      if ('error' in result) waiting.reject(unavailable(result.error));
      else waiting.resolve(result.value);
    });
    // A thread that dies fails its own jobs (503, never a hang); the next job starts a new one.
    const fail = (reason: string) => {
      if (this.running === running) this.running = null;
      for (const waiting of running.pending.values()) waiting.reject(unavailable(reason));
      running.pending.clear();
    };
    worker.on('error', (err) => fail(err.message));
    worker.on('exit', (code) => fail(`hash thread exited (${code})`));
    this.running = running;
    return running;
  }

  async stop(): Promise<void> {
    const running = this.running;
    this.running = null;
    if (running) await running.worker.terminate();
  }
}

/**
 * argon2id on worker threads of lowered priority, each started on its first job.
 *
 * `nice` is the threads' nice value. Under a sign-in storm the hashes would otherwise
 * take their cores on equal terms with the event loop that answers every other request;
 * at nice 10 the scheduler gives a runnable event loop about nine tenths of a core it
 * shares with a hash, so token checks keep flowing while sign-ins queue (and are refused
 * once the queue is too long), and sign-ins still get about a tenth. When nothing else
 * wants the CPU a nice thread runs at full speed, so an idle server hashes as fast as
 * ever. Applied on Linux only: elsewhere a priority set from a thread may change the
 * whole process.
 */
export class HashPool {
  private readonly threads: HashThread[] = [];
  private nextId = 1;

  constructor(size: number, nice: number) {
    const applied = process.platform === 'linux' && nice > 0 ? nice : null;
    for (let i = 0; i < size; i++) this.threads.push(new HashThread(applied));
  }

  hash(password: string, params: Argon2Params): Promise<string> {
    return this.run({ op: 'hash', password, params }).then(String);
  }

  verify(phc: string, password: string): Promise<boolean> {
    return this.run({ op: 'verify', phc, password }).then((ok) => ok === true);
  }

  /** Ends the threads (a server closing); a later job starts them again. */
  async stop(): Promise<void> {
    await Promise.all(this.threads.map((thread) => thread.stop()));
  }

  /** The least busy thread takes the job. */
  private run(job: Job): Promise<string | boolean> {
    let chosen = this.threads[0] as HashThread;
    for (const thread of this.threads) if (thread.load < chosen.load) chosen = thread;
    return chosen.run(this.nextId++, job);
  }
}
