import cluster, { type Worker } from 'node:cluster';
import pino from 'pino';
import type { Config } from '../config/config.js';
import { migrateToLatest, openStore } from '../storage/sql/database.js';
import { MemoryAttemptLimiter } from '../throttle/limiter.js';
import { isLatchkeyMessage, type PrimaryMessage, type WorkerMessage } from './messages.js';

/** A worker that died before it listened is replaced after this pause, so a failing start does not spin. */
const RESTART_PAUSE_MS = 1_000;

/**
 * The primary process of `LATCHKEY_WORKERS` > 1: it serves no HTTP itself. It applies
 * the migrations once, forks the workers (which share the port through node:cluster),
 * relays the bus between them and holds the attempt counters when there is no Redis,
 * replaces a worker that dies (logged), and on SIGTERM or SIGINT lets every worker
 * drain its in-flight requests before it exits.
 */
export async function runPrimary(config: Config, count: number): Promise<void> {
  // Synchronous: the primary writes a few lines, and the last ones come just before process.exit.
  const log = pino(
    { level: config.logLevel, base: { pid: process.pid, role: 'primary' } },
    pino.destination({ dest: 1, sync: true }),
  );
  if (config.migrateOnStart) {
    const store = openStore(config.databaseUrl, { createDirectoryIn: config.dataDir });
    try {
      await migrateToLatest(store.db);
    } finally {
      await store.close();
    }
  }
  const limiter = new MemoryAttemptLimiter();
  const listening = new Set<number>();
  let stopping = false;

  const send = (worker: Worker, message: PrimaryMessage) => {
    if (worker.isConnected()) worker.send(message);
  };

  const onMessage = (from: Worker, raw: unknown) => {
    if (!isLatchkeyMessage(raw)) return;
    const message = raw as WorkerMessage;
    if (message.latchkey === 'bus') {
      // To every other worker at once: the sender has already applied its own change.
      for (const worker of Object.values(cluster.workers ?? {}))
        if (worker && worker !== from) send(worker, message);
      return;
    }
    if (message.latchkey === 'limit') {
      const answer = (result?: PrimaryMessage & { latchkey: 'limit-answer' }) =>
        send(from, result ?? { latchkey: 'limit-answer', id: message.id });
      const failed = (err: unknown) =>
        answer({ latchkey: 'limit-answer', id: message.id, error: String((err as Error)?.message ?? err) });
      if (message.op === 'attempt' && message.policy && typeof message.now === 'number')
        limiter
          .attempt(message.key, message.policy, message.now)
          .then((result) => answer({ latchkey: 'limit-answer', id: message.id, result }), failed);
      else if (message.op === 'reset') limiter.reset(message.key).then(() => answer(), failed);
      else if (message.op === 'refund') limiter.refund(message.key).then(() => answer(), failed);
      else failed(new Error(`unknown operation ${String(message.op)}`));
    }
  };

  const fork = () => {
    const worker = cluster.fork();
    worker.on('message', (raw: unknown) => onMessage(worker, raw));
    worker.on('listening', () => listening.add(worker.id));
  };

  cluster.on('exit', (worker, code, signal) => {
    const wasListening = listening.delete(worker.id);
    if (stopping) return;
    log.error(
      { worker: worker.id, workerPid: worker.process.pid, code, signal },
      'worker died; starting a replacement',
    );
    setTimeout(fork, wasListening ? 0 : RESTART_PAUSE_MS).unref();
  });

  const stop = (signal: NodeJS.Signals) => {
    if (stopping) return;
    stopping = true;
    log.info(
      { signal, workers: Object.keys(cluster.workers ?? {}).length },
      'shutting down: draining every worker',
    );
    const workers = Object.values(cluster.workers ?? {}).filter((w): w is Worker => Boolean(w));
    let failed = false;
    Promise.all(
      workers.map(
        (worker) =>
          new Promise<void>((resolve) => {
            if (worker.isDead()) return resolve();
            worker.once('exit', (code) => {
              if (code !== 0) failed = true;
              resolve();
            });
            // Each worker finishes its in-flight requests and closes its storage (main.ts).
            worker.process.kill('SIGTERM');
          }),
      ),
    ).then(() => {
      log.info({ failed }, 'all workers stopped');
      process.exit(failed ? 1 : 0);
    });
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));

  for (let i = 0; i < count; i++) fork();
  log.info({ workers: count, store: config.databaseUrl.split(':')[0] }, 'latchkey primary started');
}
