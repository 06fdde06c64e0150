import { availableParallelism } from 'node:os';
import { LatchkeyError } from '../shared/errors.js';
import { type Argon2Params, HashPool } from './hash-pool.js';

export type { Argon2Params } from './hash-pool.js';

/** OWASP Password Storage Cheat Sheet minimum for argon2id. */
export const OWASP_ARGON2: Argon2Params = { memoryCost: 19456, timeCost: 2, parallelism: 1 };

export const PASSWORD_MIN_LENGTH = 8;
export const PASSWORD_MAX_LENGTH = 1024;

/**
 * Passwords are compared as NFKC so that the same text typed on two keyboards
 * (composed or decomposed accents) is the same password (NIST 800-63B 5.1.1.2).
 * Nothing else changes: no trimming, no truncation, no case folding.
 */
export function normalizePassword(password: string): string {
  return password.normalize('NFKC');
}

/** Length in code points, as NIST counts it. */
export function passwordLength(password: string): number {
  return [...password].length;
}

export interface HasherStats {
  running: number;
  queued: number;
}

/**
 * Hash slots when the configuration says 0 (auto): one core fewer than the machine has,
 * so hashing never takes every core from the event loop that answers token checks.
 */
export function hashSlots(configured: number): number {
  if (configured > 0) return configured;
  return Math.max(1, availableParallelism() - 1);
}

export interface HasherLimits {
  /** Hashes computed at once; 0 means auto (see hashSlots). */
  concurrency: number;
  /** Hashes allowed to wait for a slot. */
  maxQueue: number;
  /** The hashing threads' nice value (Linux): 0 = the event loop's own priority, 19 = the lowest. */
  nice: number;
  /** A hash that would wait longer than this (by the recent hash times) is refused at once. */
  maxWaitMs: number;
}

/**
 * argon2id through a native binding on worker threads of lowered priority (hash-pool.ts),
 * so the event loop never hashes and keeps the CPU first under a sign-in storm. At most
 * `concurrency` hashes run; a hash waits for a slot only while the queue is short enough
 * to start within `maxWaitMs` (judged from the recent hash times) and within `maxQueue`.
 * Past that the caller gets `overloaded` (503 + Retry-After) at once, instead of an
 * unbounded wait that would hold its connection and drag every other request down with it.
 */
export class PasswordHasher {
  private running = 0;
  private readonly waiting: Array<() => void> = [];
  private dummyHash: Promise<string> | null = null;
  /** Moving average of one hash's time on a slot, ms; 0 until a hash was timed. */
  private hashMs = 0;
  readonly concurrency: number;
  private readonly pool: HashPool;
  private readonly maxQueue: number;
  private readonly maxWaitMs: number;
  /** Called with the time a job waited for a slot, for metrics. */
  onWait: (waitMs: number) => void = () => {};

  constructor(
    readonly params: Argon2Params = OWASP_ARGON2,
    limits: Partial<HasherLimits> = {},
  ) {
    this.concurrency = hashSlots(limits.concurrency ?? 0);
    this.maxQueue = limits.maxQueue ?? 64;
    this.maxWaitMs = limits.maxWaitMs ?? 500;
    this.pool = new HashPool(this.concurrency, limits.nice ?? 10);
  }

  /** Ends the hashing threads (idle ones never keep the process alive; this frees them). */
  close(): Promise<void> {
    return this.pool.stop();
  }

  stats(): HasherStats {
    return { running: this.running, queued: this.waiting.length };
  }

  /** The wait of a hash queued now: the rounds of slots ahead of it, at the recent hash time. */
  private expectedWaitMs(): number {
    return Math.ceil((this.waiting.length + 1) / this.concurrency) * this.hashMs;
  }

  /** A hash asked for now would be refused: every slot busy, and the queue too long or too slow. */
  private full(): boolean {
    return (
      this.running >= this.concurrency &&
      (this.waiting.length >= this.maxQueue || this.expectedWaitMs() > this.maxWaitMs)
    );
  }

  /**
   * Refuses at once (overloaded) when a hash asked for now would be: a sign-in calls it
   * before its look-up and throttle, so a refused one costs the store and the throttle
   * nothing. The hash itself still takes its slot (or is refused) as always.
   */
  admit(): void {
    if (this.full()) throw overloaded();
  }

  private async slot<T>(job: () => Promise<T>): Promise<T> {
    let waitedMs: number | null = null;
    if (this.running >= this.concurrency) {
      if (this.full()) throw overloaded();
      const queuedAt = performance.now();
      await new Promise<void>((resolve) => this.waiting.push(resolve));
      waitedMs = performance.now() - queuedAt;
    } else {
      this.running++;
    }
    const startedAt = performance.now();
    try {
      // Inside the try: an observer that throws must not keep the slot.
      if (waitedMs !== null) this.onWait(waitedMs);
      return await job();
    } finally {
      const took = performance.now() - startedAt;
      // A short memory (1/8 per hash) follows load changes within a few hashes.
      this.hashMs = this.hashMs === 0 ? took : this.hashMs + (took - this.hashMs) / 8;
      const next = this.waiting.shift();
      // The slot passes straight to the next waiter, so `running` stays accurate.
      if (next) next();
      else this.running--;
    }
  }

  hash(password: string): Promise<string> {
    return this.slot(() => this.pool.hash(normalizePassword(password), this.params));
  }

  /** Constant work whether or not `phc` exists: a missing hash is replaced by a dummy with today's parameters. */
  async verify(phc: string | null, password: string): Promise<boolean> {
    if (phc === null) {
      await this.slot(async () => this.pool.verify(await this.dummy(), normalizePassword(password)));
      return false;
    }
    return this.slot(() => this.pool.verify(phc, normalizePassword(password)));
  }

  private dummy(): Promise<string> {
    // A failed attempt is not kept: unknown logins must not fail differently from known ones for good.
    this.dummyHash ??= this.pool.hash('latchkey-dummy-password', this.params).catch((err: unknown) => {
      this.dummyHash = null;
      throw err;
    });
    return this.dummyHash;
  }

  /** Warms the dummy hash so the first unknown-user sign-in costs the same as the others. */
  async warm(): Promise<void> {
    await this.dummy();
  }

  /** True when a stored hash was made with other parameters (or another algorithm) and should be redone. */
  needsRehash(phc: string): boolean {
    const m = /^\$argon2id\$v=19\$m=(\d+),t=(\d+),p=(\d+)\$/.exec(phc);
    if (!m) return true;
    return (
      Number(m[1]) !== this.params.memoryCost ||
      Number(m[2]) !== this.params.timeCost ||
      Number(m[3]) !== this.params.parallelism
    );
  }
}

function overloaded(): LatchkeyError {
  return new LatchkeyError('overloaded', 'Too many sign-ins in progress; try again shortly', {
    retryAfterSeconds: 1,
  });
}
