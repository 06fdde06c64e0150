import { Worker } from 'node:worker_threads';

export interface Argon2Params {
  memoryCost: number;
  timeCost: number;
  parallelism: number;
}

export type HashJob =
  | { id: number; op: 'hash'; password: string; params: Argon2Params }
  | { id: number; op: 'verify'; phc: string; password: string };

export type HashResult = { id: number; value: string | boolean } | { id: number; error: string };

type Job =
  | { op: 'hash'; password: string; params: Argon2Params }
  | { op: 'verify'; phc: string; password: string };

interface Pending {
  resolve: (value: string | boolean) => void;
  reject: (err: Error) => void;
}

/** One worker thread and the jobs sent to it. */
class HashThread {
  private worker: Worker | null = null;
  private readonly pending = new Map<number, Pending>();

  constructor(private readonly nice: number | null) {}

  get load(): number {
    return this.pending.size;
  }

  run(id: number, job: Job): Promise<string | boolean> {
    const worker = this.started();
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      // A thread with work keeps the process alive (a CLI awaiting a hash); an idle one does not.
      worker.ref();
      worker.postMessage({ id, ...job } satisfies HashJob);
    });
  }

  private started(): Worker {
    if (this.worker) return this.worker;
    const worker = new Worker(new URL('./hash-worker.js', import.meta.url), {
      workerData: { nice: this.nice },
    });
    worker.unref();
    worker.on('message', (result: HashResult) => {
      const waiting = this.pending.get(result.id);
      this.pending.delete(result.id);
      if (this.pending.size === 0) worker.unref();
      if (!waiting) return;
      if ('error' in result) waiting.reject(new Error(result.error));
      else waiting.resolve(result.value);
    });
    // A thread that dies fails its jobs (the callers see a failed hash, never a hang); the next job starts a new one.
    const fail = (err: Error) => {
      if (this.worker === worker) this.worker = null;
      for (const waiting of this.pending.values()) waiting.reject(err);
      this.pending.clear();
    };
    worker.on('error', fail);
    worker.on('exit', (code) => fail(new Error(`hash thread exited (${code})`)));
    this.worker = worker;
    return worker;
  }

  async stop(): Promise<void> {
    const worker = this.worker;
    this.worker = null;
    if (worker) await worker.terminate();
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
