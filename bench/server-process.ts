import { type Child, freePort, startChild } from './child.js';
import { SERVER_CLI } from './paths.js';
import { RssSampler } from './rss.js';

/** What one store run hands every server it starts: the same database and the same master secret. */
export interface ServerTarget {
  databaseUrl: string;
  dataDir: string;
  /** Signing keys are sealed under it, so every restart on one database must reuse it. */
  secret: string;
  /** Shared counters and revocation (the PostgreSQL runs, when Redis answers). */
  redis?: { url: string; prefix: string } | undefined;
}

/**
 * The server's settings besides its port, database and secret: production logging
 * (LOG_LEVEL=info, JSON lines to stdout, which goes to /dev/null), plain-http cookies,
 * and the harness trusted as a reverse proxy so that sign-ins can come from many
 * client addresses (X-Forwarded-For) instead of tripping the per-address throttle.
 */
export const SERVER_SETTINGS = {
  HOST: '127.0.0.1',
  LOG_LEVEL: 'info',
  LATCHKEY_COOKIE_SECURE: 'false',
  LATCHKEY_TRUST_PROXY: '127.0.0.1',
  NODE_ENV: 'production',
} as const;

export interface ServerProcess extends Child {
  rss: RssSampler;
}

/**
 * Starts the built server (`node dist/src/cli/index.js serve`) as a child with the
 * production logging configuration (LOG_LEVEL=info, JSON lines to stdout, which goes
 * to /dev/null) and waits until /readyz answers.
 */
export async function startServer(
  target: ServerTarget,
  options: { cpuProfDir?: string | undefined; workers?: number } = {},
): Promise<ServerProcess> {
  const port = await freePort();
  // Node's own file names: each thread (the hashing workers too) writes a profile of its
  // own, where one fixed name would let the last thread to exit overwrite the others.
  const nodeFlags = options.cpuProfDir ? ['--cpu-prof', `--cpu-prof-dir=${options.cpuProfDir}`] : [];
  const child = await startChild({
    name: options.workers ? `latchkey server (${options.workers} workers)` : 'latchkey server',
    args: [...nodeFlags, SERVER_CLI, 'serve'],
    env: {
      ...process.env,
      ...SERVER_SETTINGS,
      PORT: String(port),
      DATABASE_URL: target.databaseUrl,
      LATCHKEY_DATA_DIR: target.dataDir,
      LATCHKEY_SECRET: target.secret,
      ...(options.workers ? { LATCHKEY_WORKERS: String(options.workers) } : {}),
      ...(target.redis ? { REDIS_URL: target.redis.url, LATCHKEY_REDIS_PREFIX: target.redis.prefix } : {}),
    },
    port,
    readyPath: '/readyz',
  });
  const rss = new RssSampler(child.pid);
  return {
    ...child,
    rss,
    stop: async () => {
      rss.stop();
      return child.stop();
    },
  };
}
