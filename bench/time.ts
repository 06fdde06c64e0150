import { setTimeout as delay } from 'node:timers/promises';

export const TIMED_OUT: unique symbol = Symbol('timed out');
export type TimedOut = typeof TIMED_OUT;

/** The promise's value, or TIMED_OUT after `ms` (the timer is cleared either way). */
export async function within<T>(promise: Promise<T>, ms: number): Promise<T | TimedOut> {
  const ac = new AbortController();
  const timeout = delay(ms, undefined, { signal: ac.signal }).then(
    (): TimedOut => TIMED_OUT,
    (): TimedOut => TIMED_OUT,
  );
  try {
    return await Promise.race<T | TimedOut>([promise, timeout]);
  } finally {
    ac.abort();
  }
}

/** Like `within`, but a timeout is an error naming what was awaited. */
export async function deadline<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  const result = await within(promise, ms);
  if (result === TIMED_OUT) throw new Error(`${what} did not finish within ${ms} ms`);
  return result;
}
