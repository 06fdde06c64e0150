/** How seeded users are named: `bench<i>` / `bench<i>@bench.example`, all with one password. */
export const BENCH_PASSWORD = 'bench-password-1';
export const USERNAME_PREFIX = 'bench';

export function benchUsername(index: number): string {
  return `${USERNAME_PREFIX}${index}`;
}

export function benchEmail(index: number): string {
  return `${USERNAME_PREFIX}${index}@bench.example`;
}

/** A uniformly random seeded user among the first `count`. */
export function randomBenchUser(count: number): string {
  return benchUsername(Math.floor(Math.random() * count));
}

/**
 * A random client address for X-Forwarded-For. The server trusts the loopback proxy
 * (LATCHKEY_TRUST_PROXY=127.0.0.1), so sign-ins look as if they came from many clients
 * behind a reverse proxy instead of tripping the per-address sign-in throttle.
 */
export function randomClientAddress(): string {
  const byte = () => Math.floor(Math.random() * 256);
  return `10.${byte()}.${byte()}.${1 + Math.floor(Math.random() * 254)}`;
}
