import pino from 'pino';

/**
 * Where the server's log lines go: stdout, buffered. Every request writes one access
 * line, and handing each line to the kernel on its own (a write through libuv's thread
 * pool and its completion callback per request) was a measurable part of the token
 * check's CPU. Lines are kept until 4 KiB have gathered (about twenty access lines),
 * and flushed at the latest every `FLUSH_INTERVAL_MS`, at shutdown (main.ts) and on
 * process exit, so no line is lost and none waits long.
 */
export const FLUSH_INTERVAL_MS = 250;
const BUFFER_BYTES = 4096;

type Destination = ReturnType<typeof pino.destination>;
let destination: Destination | undefined;

/** The process's one buffered stdout destination (created on first use). */
export function stdoutDestination(): Destination {
  if (destination) return destination;
  const created = pino.destination({ dest: 1, minLength: BUFFER_BYTES, sync: false });
  destination = created;
  const timer = setInterval(() => flushQuietly(created), FLUSH_INTERVAL_MS);
  timer.unref();
  // Whatever way the process ends (process.exit after shutdown, a fatal error), what is buffered is written first.
  process.once('exit', () => flushLogsSync());
  return created;
}

function flushQuietly(d: Destination): void {
  try {
    d.flush();
  } catch {
    // A flush while the previous write is still in flight is refused; the next tick writes it.
  }
}

/** Writes every buffered line now, synchronously (at shutdown and exit). */
export function flushLogsSync(): void {
  if (!destination) return;
  try {
    destination.flushSync();
  } catch {
    // Not open yet or already closed: nothing of ours is left to write.
  }
}
