import type { Redis } from 'ioredis';
import { type Logger, pino } from 'pino';
import type { Config } from './config/config.js';
import { AppService } from './identity/apps.js';
import { Authorization } from './identity/authorization.js';
import { type Argon2Params, OWASP_ARGON2, PasswordHasher } from './identity/passwords.js';
import type { UserRepository } from './identity/ports.js';
import { SignInService } from './identity/sign-in.js';
import type { App } from './identity/types.js';
import { CachedUserRepository } from './identity/user-cache.js';
import { UserService } from './identity/users.js';
import { LogTransport, MailService, type MailTransport, SmtpTransport } from './mail/index.js';
import { MfaService } from './mfa/index.js';
import { BroadcastRevocationList } from './session/broadcast-revocations.js';
import { MemoryRevocationList } from './session/revocation.js';
import { RevocationSync } from './session/revocation-sync.js';
import { SessionService } from './session/service.js';
import { type Bus, LocalBus } from './shared/bus.js';
import { type Clock, systemClock } from './shared/clock.js';
import { Sealer } from './shared/seal.js';
import { RedisBus } from './storage/redis/bus.js';
import { connectRedis } from './storage/redis/connection.js';
import { RedisAttemptLimiter } from './storage/redis/limiter.js';
import { migrateToLatest, openStore, type Store } from './storage/sql/database.js';
import { type Repositories, sqlRepositories } from './storage/sql/repositories/index.js';
import { FallbackAttemptLimiter } from './throttle/fallback.js';
import { type AttemptLimiter, MemoryAttemptLimiter, Throttle } from './throttle/index.js';
import { TokenService } from './tokens/jwt.js';
import { KeyWatch } from './tokens/key-watch.js';
import { KeyRing } from './tokens/keyring.js';

export interface Services {
  config: Config;
  clock: Clock;
  store: Store;
  repos: Omit<Repositories, 'users'> & { users: UserRepository };
  hasher: PasswordHasher;
  keys: KeyRing;
  mail: MailService;
  /** Messages between nodes (a no-op without Redis). */
  bus: Bus;
  /** For background work; requests log through Fastify's child loggers. */
  log: Logger;
  keyWatch: KeyWatch;
  /** Picks up revocations made by other processes when no shared broadcast is configured. */
  revocationSync: RevocationSync;
  tokens: TokenService;
  sessions: SessionService;
  users: UserService;
  signIn: SignInService;
  mfa: MfaService;
  authz: Authorization;
  apps: AppService;
  /** The app the rpc dialect serves. */
  defaultApp: App;
  close(): Promise<void>;
}

export interface ServiceOptions {
  clock?: Clock;
  /** Tests use cheaper argon2 parameters; production always uses the OWASP ones. */
  argon2?: Argon2Params;
  /** Use this store instead of opening config.databaseUrl (tests share one). */
  store?: Store;
  migrate?: boolean;
  /** Logger for background work (tests capture it). */
  log?: Logger;
  /** Attempt counters; in memory unless a shared one is given. */
  limiter?: AttemptLimiter;
  /** Send mail through this transport instead of the configured one (tests). */
  mailTransport?: MailTransport;
  /** Run the background mail sender (on by default). */
  sendMail?: boolean;
  /** Poll the store for other processes' revocations (on by default). */
  syncRevocations?: boolean;
}

/** The longest any token Latchkey signs can live: how long revocations and retired keys must be remembered. */
export function maxTokenLifetimeMs(config: Config): number {
  return (config.bearerTtlSeconds + config.clockSkewSeconds) * 1000;
}

/**
 * How long a retired signing key keeps verifying: refresh accepts expired session
 * tokens for as long as their session lives, so the key that signed them must too.
 */
export function keyOverlapMs(config: Config): number {
  return (Math.max(config.sessionTtlSeconds, config.bearerTtlSeconds) + config.clockSkewSeconds) * 1000;
}

/** Wires the core: storage → repositories → domain services. No HTTP here. */
export async function createServices(config: Config, options: ServiceOptions = {}): Promise<Services> {
  const clock = options.clock ?? systemClock;
  const store = options.store ?? openStore(config.databaseUrl);
  try {
    if (options.migrate ?? config.migrateOnStart) await migrateToLatest(store.db);
    const repos = sqlRepositories(store);
    const log = options.log ?? pino({ level: config.logLevel });
    const bus: Bus = config.redisUrl
      ? new RedisBus(config.redisUrl, config.redisPrefix, (err) =>
          log.error({ err }, 'redis: connection error'),
        )
      : new LocalBus();
    const userRepo = new CachedUserRepository(repos.users);
    // Another node changed a user: forget our copy.
    userRepo.onChange = (appId, id) => void bus.publish('users', `${appId}:${id}`).catch(() => {});
    bus.subscribe('users', (message) => {
      const [appId, id] = message.split(':');
      if (appId && id) userRepo.evict(appId, id);
    });
    const hasher = new PasswordHasher(
      options.argon2 ?? OWASP_ARGON2,
      config.hash.concurrency,
      config.hash.maxQueue,
    );
    const keys = new KeyRing(repos.keys, new Sealer(config.secret, 'signing-keys'), () => clock.now());
    await keys.load();
    const tokens = new TokenService(keys, clock, config.issuer, config.clockSkewSeconds);
    const horizon = maxTokenLifetimeMs(config);
    const memoryRevocations = new MemoryRevocationList(horizon, () => clock.now());
    const revocations = config.redisUrl
      ? new BroadcastRevocationList(memoryRevocations, bus, (err) =>
          log.error({ err }, 'redis: revocation broadcast failed; the database poll will carry it'),
        )
      : memoryRevocations;
    const sessions = new SessionService(
      repos.sessions,
      revocations,
      new Sealer(config.secret, 'session-successors'),
      clock,
      {
        sessionTtlMs: config.sessionTtlSeconds * 1000,
        refreshGraceMs: config.refreshGraceSeconds * 1000,
      },
    );
    await sessions.primeRevocations(horizon);
    const revocationSync = new RevocationSync(repos.sessions, revocations, clock);
    revocationSync.onError = (err) => log.error({ err }, 'revocation sync: store unreachable');
    // Keys rotated elsewhere (another node, the CLI): broadcast when there is a bus, and re-read every 10 s anyway.
    const keyWatch = new KeyWatch(keys, tokens, bus, (err) => log.error({ err }, 'key reload failed'));
    if (options.syncRevocations ?? true) keyWatch.start();
    if (options.syncRevocations ?? true) revocationSync.start();
    const users = new UserService(userRepo, hasher, sessions, clock, config.usernamesEnabled);
    let redisForCounters: Redis | null = null;
    let limiter: AttemptLimiter;
    if (options.limiter) limiter = options.limiter;
    else if (config.redisUrl) {
      redisForCounters = connectRedis(config.redisUrl, () => {});
      limiter = new FallbackAttemptLimiter(
        new RedisAttemptLimiter(redisForCounters, config.redisPrefix),
        new MemoryAttemptLimiter(),
        (err) =>
          log.error({ err }, 'redis: attempt counters unavailable; limits hold per node until it returns'),
      );
    } else limiter = new MemoryAttemptLimiter();
    const mfa = new MfaService(
      repos.mfa,
      new Sealer(config.secret, 'mfa-secrets'),
      new Throttle(limiter, 'mfa'),
      clock,
      config.issuer,
    );
    const signIn = new SignInService(userRepo, hasher, clock, new Throttle(limiter, 'signin'), mfa);
    const authz = new Authorization(repos.permissions);
    const apps = new AppService(repos.apps, repos.permissions, clock);
    const defaultApp = await apps.ensure(config.defaultApp);
    const mail = new MailService(
      repos.outbox,
      options.mailTransport ??
        (config.mail.transport === 'smtp' ? new SmtpTransport(config.mail.smtpUrl!) : new LogTransport()),
      new Sealer(config.secret, 'mail-outbox'),
      clock,
      { from: config.mail.from, pollMs: 1000 },
    );
    if (options.sendMail ?? true) mail.start();
    await hasher.warm();
    return {
      config,
      clock,
      store,
      repos: { ...repos, users: userRepo },
      hasher,
      revocationSync,
      bus,
      log,
      keyWatch,
      mail,
      keys,
      tokens,
      sessions,
      users,
      signIn,
      mfa,
      authz,
      apps,
      defaultApp,
      close: async () => {
        await revocationSync.stop();
        keyWatch.stop();
        redisForCounters?.disconnect();
        await bus.close();
        await mail.stop();
        if (!options.store) await store.close();
      },
    };
  } catch (err) {
    if (!options.store) await store.close();
    throw err;
  }
}
