import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import type { FastifyInstance, InjectOptions, LightMyRequestResponse } from 'fastify';
import type { Config } from '../../src/config/config.js';
import { loadConfig } from '../../src/config/load.js';
import { buildApp } from '../../src/http/server.js';
import { ADMIN_ROLE } from '../../src/identity/system-permissions.js';
import type { User } from '../../src/identity/types.js';
import type { MailMessage, MailTransport } from '../../src/mail/index.js';
import { createServices, type Services } from '../../src/services.js';
import { ManualClock } from '../../src/shared/clock.js';
import type { AttemptLimiter } from '../../src/throttle/index.js';
import type { Backend } from './backends.js';
import { contractInject } from './contract.js';
import { redisForTest } from './redis.js';

/** Cheap argon2 for tests: the production parameters are tested on their own. */
export const TEST_ARGON2 = { memoryCost: 1024, timeCost: 1, parallelism: 1 };
export const TEST_SECRET = 'test-master-secret-that-is-long-enough-0123456789';

export interface TestServer {
  app: FastifyInstance;
  services: Services;
  clock: ManualClock;
  config: Config;
  /** Every mail the server sent (through the in-memory transport). */
  mailbox: MailMessage[];
  /** Every log line the server wrote, for tests that grep them. */
  logs: string[];
  /** `app.inject`, with every answer checked against the served OpenAPI document (see contract.ts). */
  inject(options: InjectOptions): Promise<LightMyRequestResponse>;
  close(): Promise<void>;
}

export interface TestServerOptions {
  overrides?: Record<string, unknown>;
  clock?: ManualClock;
  /** Reuse a database created by the caller (restarts); otherwise a fresh one is made and dropped. */
  databaseUrl?: string;
  /** Attempt counters to use instead of the default in-memory ones. */
  limiter?: AttemptLimiter;
  /**
   * Production argon2 parameters, for tests that measure timing. Such a server also
   * keeps the hash queue's overload shedding out of the way (NO_SHEDDING): on a busy
   * machine its wait estimate would refuse a sign-in with 503, and these tests measure
   * timing, not shedding (test/unit/sign-in-overload.test.ts covers that).
   */
  argon2?: { memoryCost: number; timeCost: number; parallelism: number };
}

/**
 * Hash-queue limits that never refuse: every hash waits for its turn, however long. The
 * hashing threads are not niced either: on a busy machine a niced hash waits for a slice
 * of CPU for an unpredictable time, noise that a timing test would have to measure through.
 */
export const NO_SHEDDING = { 'hash.maxQueue': 100_000, 'hash.maxWaitMs': 60_000, 'hash.nice': 0 };

export async function startTestServer(
  backend: Backend,
  options: TestServerOptions = {},
): Promise<TestServer> {
  const dataDir = mkdtempSync(join(tmpdir(), 'latchkey-data-'));
  const fresh = options.databaseUrl ? null : await backend.create();
  const databaseUrl = options.databaseUrl ?? fresh!.url;
  // The PostgreSQL runs are the scale-out configuration: PostgreSQL + Redis, as in production.
  const redis = backend.name === 'postgres' ? await redisForTest() : null;
  const config = loadConfig({
    env: {},
    configFile: undefined,
    overrides: {
      secret: TEST_SECRET,
      dataDir,
      databaseUrl,
      'cookie.secure': false,
      logLevel: 'info',
      ...(redis ? { redisUrl: redis.url, redisPrefix: redis.prefix } : {}),
      ...(options.argon2 ? NO_SHEDDING : {}),
      ...options.overrides,
    },
  });
  const clock = options.clock ?? new ManualClock(Date.now());
  const mailbox = new MemoryTransport();
  const cleanUp = async () => {
    await redis?.cleanup();
    await fresh?.cleanup();
    rmSync(dataDir, { recursive: true, force: true });
  };
  const services = await createServices(config, {
    clock,
    argon2: options.argon2 ?? TEST_ARGON2,
    // Mail stays in memory (server.mailbox) unless a test configures real SMTP.
    ...(config.mail.transport === 'log' ? { mailTransport: mailbox } : {}),
    ...(options.limiter ? { limiter: options.limiter } : {}),
  }).catch(async (err: unknown) => {
    // A server that does not start (tests of start-up refusals) leaves no database or prefix behind.
    await cleanUp();
    throw err;
  });
  const logs: string[] = [];
  const stream = new Writable({
    write(chunk, _enc, done) {
      logs.push(String(chunk));
      done();
    },
  });
  const app = await buildApp(services, { logger: { level: 'info', stream } });
  await app.ready();
  return {
    app,
    services,
    clock,
    config,
    logs,
    mailbox: mailbox.sent,
    inject: contractInject(app),
    close: async () => {
      await app.close();
      await services.close();
      await cleanUp();
    },
  };
}

export interface SeedUserOptions {
  username?: string;
  email?: string;
  password?: string;
  fullName?: string;
  superuser?: boolean;
}

let counter = 0;

/** Creates a user directly through the core. */
export async function seedUser(
  server: TestServer,
  options: SeedUserOptions = {},
): Promise<User & { password: string }> {
  counter++;
  const password = options.password ?? `correct horse ${counter} battery`;
  const user = await server.services.users.create(server.services.defaultApp.id, {
    username: options.username ?? `user${counter}_${Math.random().toString(36).slice(2, 8)}`,
    password,
    fullName: options.fullName ?? null,
    emails: [
      {
        address: options.email ?? `user${counter}.${Math.random().toString(36).slice(2, 8)}@example.com`,
        isPrimary: true,
        isVerified: true,
      },
    ],
  });
  if (options.superuser) {
    await server.services.repos.permissions.grantRoleByName(
      server.services.defaultApp.id,
      user.id,
      ADMIN_ROLE,
      '',
      server.clock.now(),
    );
  }
  return { ...user, password };
}

/** Counts nothing and never refuses: for tests that measure something other than throttling (timing). */
export const UNLIMITED: AttemptLimiter = {
  attempt: async () => ({ allowed: true, retryAfterMs: 0, failures: 0 }),
  reset: async () => {},
  refund: async () => {},
};

/** A mail transport that keeps what it is given. */
export class MemoryTransport implements MailTransport {
  readonly name = 'memory';
  readonly sent: MailMessage[] = [];
  async send(message: MailMessage): Promise<void> {
    this.sent.push(message);
  }
  async close(): Promise<void> {}
}
