import { Algorithm, hash, verify } from '@node-rs/argon2';
import { LatchkeyError } from '../shared/errors.js';

export interface Argon2Params {
  memoryCost: number;
  timeCost: number;
  parallelism: number;
}

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

export function checkPasswordPolicy(password: string): void {
  const length = passwordLength(password);
  if (length < PASSWORD_MIN_LENGTH || length > PASSWORD_MAX_LENGTH) {
    throw new LatchkeyError(
      'invalid_password',
      `Password must be between ${PASSWORD_MIN_LENGTH} and ${PASSWORD_MAX_LENGTH} characters`,
    );
  }
}

export interface HasherStats {
  running: number;
  queued: number;
}

/**
 * argon2id through a native binding that runs on libuv's thread pool, so the event
 * loop never hashes. At most `concurrency` hashes run and at most `maxQueue` wait;
 * past that the caller gets `overloaded` (503 + Retry-After) at once instead of an
 * unbounded wait that would drag every other request down with it.
 */
export class PasswordHasher {
  private running = 0;
  private readonly waiting: Array<() => void> = [];
  private dummyHash: Promise<string> | null = null;
  /** Called with the time a job waited for a slot, for metrics. */
  onWait: (waitMs: number) => void = () => {};

  constructor(
    readonly params: Argon2Params = OWASP_ARGON2,
    private readonly concurrency = 4,
    private readonly maxQueue = 64,
  ) {}

  stats(): HasherStats {
    return { running: this.running, queued: this.waiting.length };
  }

  private async slot<T>(job: () => Promise<T>): Promise<T> {
    if (this.running >= this.concurrency) {
      if (this.waiting.length >= this.maxQueue) {
        throw new LatchkeyError('overloaded', 'Too many sign-ins in progress; try again shortly', {
          retryAfterSeconds: 1,
        });
      }
      const queuedAt = performance.now();
      await new Promise<void>((resolve) => this.waiting.push(resolve));
      this.onWait(performance.now() - queuedAt);
    } else {
      this.running++;
    }
    try {
      return await job();
    } finally {
      const next = this.waiting.shift();
      // The slot passes straight to the next waiter, so `running` stays accurate.
      if (next) next();
      else this.running--;
    }
  }

  hash(password: string): Promise<string> {
    return this.slot(() =>
      hash(normalizePassword(password), {
        algorithm: Algorithm.Argon2id,
        memoryCost: this.params.memoryCost,
        timeCost: this.params.timeCost,
        parallelism: this.params.parallelism,
      }),
    );
  }

  /** Constant work whether or not `phc` exists: a missing hash is replaced by a dummy with today's parameters. */
  async verify(phc: string | null, password: string): Promise<boolean> {
    if (phc === null) {
      await this.slot(async () => verify(await this.dummy(), normalizePassword(password)).catch(() => false));
      return false;
    }
    return this.slot(() => verify(phc, normalizePassword(password)).catch(() => false));
  }

  private dummy(): Promise<string> {
    this.dummyHash ??= hash('latchkey-dummy-password', {
      algorithm: Algorithm.Argon2id,
      memoryCost: this.params.memoryCost,
      timeCost: this.params.timeCost,
      parallelism: this.params.parallelism,
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
