import { SETTINGS } from '../../src/config/settings.js';
import { hashSlots, OWASP_ARGON2, PasswordHasher } from '../../src/identity/passwords.js';
import { closedLoop, type InProcessRate } from '../stats.js';
import { BENCH_PASSWORD } from '../users.js';

function setting(path: string, env: string, fallback: number): number {
  const fromEnv = Number(process.env[env]);
  if (process.env[env] !== undefined && Number.isInteger(fromEnv) && fromEnv >= 0) return fromEnv;
  const found = SETTINGS.find((s) => s.path === path);
  return typeof found?.default === 'number' ? found.default : fallback;
}

/** The server's hash slots: LATCHKEY_HASH_CONCURRENCY (passed on to the server too), else its default (0 = auto). */
export function serverHashSlots(): number {
  return hashSlots(setting('hash.concurrency', 'LATCHKEY_HASH_CONCURRENCY', 0));
}

/** How many hashes the server lets wait: LATCHKEY_HASH_MAX_QUEUE, else its default. */
export function serverHashQueue(): number {
  return setting('hash.maxQueue', 'LATCHKEY_HASH_MAX_QUEUE', 64);
}

export type HashLimit = (durationS: number) => Promise<InProcessRate>;

/**
 * The sign-in limit: argon2id verifications per second in this process, with the
 * production parameters, the server's number of hash slots, and as many callers in
 * flight as the sign-in load has connections. No HTTP, no storage, no tokens.
 */
export async function hashLimit(inFlight: number): Promise<HashLimit> {
  const hasher = new PasswordHasher(OWASP_ARGON2, {
    concurrency: serverHashSlots(),
    maxQueue: 1_000_000,
    maxWaitMs: Number.MAX_SAFE_INTEGER,
  });
  const phc = await hasher.hash(BENCH_PASSWORD);
  if (!(await hasher.verify(phc, BENCH_PASSWORD))) throw new Error('argon2id verification failed');
  return (durationS) =>
    closedLoop(inFlight, durationS, async () => {
      await hasher.verify(phc, BENCH_PASSWORD);
    });
}
