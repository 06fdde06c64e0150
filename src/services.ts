import type { Redis } from 'ioredis';
import { type Logger, pino } from 'pino';
import { type AppsCore, createAppsCore } from './apps/index.js';
import { AuditLog } from './audit/index.js';
import type { Config } from './config/config.js';
import { activationLink, feathersSettings } from './config/feathers.js';
import { AppService } from './identity/apps.js';
import { Authorization } from './identity/authorization.js';
import { IntegrationService } from './identity/integrations.js';
import { createIdentityManagement, type IdentityManagement } from './identity/management.js';
import { MembershipCache } from './identity/membership-cache.js';
import { linkingOrgs, OrgService } from './identity/orgs.js';
import { type Argon2Params, OWASP_ARGON2, PasswordHasher } from './identity/passwords.js';
import type { UserRepository } from './identity/ports.js';
import { RegistrationService } from './identity/registration.js';
import { SignInService } from './identity/sign-in.js';
import type { App } from './identity/types.js';
import { CachedUserRepository } from './identity/user-cache.js';
import { UserService } from './identity/users.js';
import { LogTransport, MailService, type MailTransport, SmtpTransport } from './mail/index.js';
import { MfaService } from './mfa/index.js';
import { Metrics } from './ops/metrics.js';
import { countingLimiter, observe } from './ops/observers.js';
import { ResealService } from './secrets/reseal.js';
import { BroadcastRevocationList } from './session/broadcast-revocations.js';
import { SessionPurge } from './session/purge.js';
import { MemoryRevocationList } from './session/revocation.js';
import { RevocationSync } from './session/revocation-sync.js';
import { SessionService } from './session/service.js';
import type { SessionKind } from './session/types.js';
import { type Bus, LocalBus } from './shared/bus.js';
import { type Clock, systemClock } from './shared/clock.js';
import { DeferredWork } from './shared/deferred-work.js';
import { deriveKeys, type MasterSecrets } from './shared/master-secrets.js';
import { Sealer } from './shared/seal.js';
import { createSpaCore, type SpaCore } from './spa/index.js';
import { RedisBus } from './storage/redis/bus.js';
import { connectRedis } from './storage/redis/connection.js';
import { RedisAttemptLimiter } from './storage/redis/limiter.js';
import { RedisOutageLog } from './storage/redis/outage-log.js';
import { checkReachable, migrateToLatest, openStore, type Store } from './storage/sql/database.js';
import { type Repositories, sqlRepositories } from './storage/sql/repositories/index.js';
import { FallbackAttemptLimiter } from './throttle/fallback.js';
import { type AttemptLimiter, DeviceTokens, MemoryAttemptLimiter, Throttle } from './throttle/index.js';
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
  sessionPurge: SessionPurge;
  tokens: TokenService;
  sessions: SessionService;
  users: UserService;
  signIn: SignInService;
  mfa: MfaService;
  audit: AuditLog;
  metrics: Metrics;
  authz: Authorization;
  apps: AppService;
  /** The apps dialect's core: tenants, app logins, profile workspaces and their provisioning jobs. */
  appsCore: AppsCore;
  /** Orgs by email domain (the feathers dialect's `belongsTo`). */
  orgs: OrgService;
  /** Per-user integrations (the feathers dialect's `integrations`), managed through the admin API. */
  integrations: IntegrationService;
  /** Self-registration and activation links (the feathers dialect's /signup and /activate). */
  registration: RegistrationService;
  /** The spa dialect's core: survey aliases, login links and the hosted MFA challenge. */
  spa: SpaCore;
  /** Identity management (the rpc dialect's org.*, permission.*, role.*, invitations, reset, verification). */
  identity: IdentityManagement;
  /** The app the rpc dialect serves. */
  defaultApp: App;
  /** Re-seals what is sealed at rest under the current master secret (`latchkey secrets reseal`). */
  reseal: ResealService;
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
  /** Messages to the other processes when there is no Redis (a cluster worker's IPC bus). */
  bus?: Bus;
  /** This process's hash slots, when it shares the machine's with other workers. */
  hashConcurrency?: number;
  /** Send mail through this transport instead of the configured one (tests). */
  mailTransport?: MailTransport;
  /** Run the background mail sender (on by default). */
  sendMail?: boolean;
  /** Poll the store for other processes' revocations (on by default). */
  syncRevocations?: boolean;
  /** Run the background jobs (profile provisioning; on by default); one-shot commands leave them to the server. */
  runJobs?: boolean;
}

const SESSION_KINDS: readonly SessionKind[] = ['rpc', 'spa', 'apps', 'feathers'];

/** The lifetime of the access tokens of one kind of session. */
export function tokenTtlSeconds(config: Config, kind: SessionKind): number {
  switch (kind) {
    case 'rpc':
      return config.bearerTtlSeconds;
    case 'feathers':
      return config.feathers.tokenTtlSeconds;
    case 'apps':
      return config.apps.tokenTtlSeconds;
    case 'spa':
      return config.spa.accessTokenTtlSeconds;
  }
}

/** The longest any token Latchkey signs can live: how long revocations and retired keys must be remembered. */
export function maxTokenLifetimeMs(config: Config): number {
  const longest = Math.max(...SESSION_KINDS.map((kind) => tokenTtlSeconds(config, kind)));
  return (longest + config.clockSkewSeconds) * 1000;
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
  const log = options.log ?? pino({ level: config.logLevel });
  const store =
    options.store ??
    openStore(config.databaseUrl, {
      createDirectoryIn: config.dataDir,
      warn: (message) => log.warn(message),
    });
  // What has been started so far, stopped again if start-up fails part-way (a master
  // secret that opens no key, a store that goes away): a failed start leaves nothing running.
  const started: Array<() => unknown> = [];
  try {
    if (!options.store) await checkReachable(store, config.databaseUrl);
    if (options.migrate ?? config.migrateOnStart) await migrateToLatest(store.db);
    // Memberships are read on every user.info; both repositories that write them evict this cache.
    const memberships = new MembershipCache();
    const sqlRepos = sqlRepositories(store);
    const repos: Repositories = {
      ...sqlRepos,
      orgs: memberships.repository(sqlRepos.orgs),
      orgDirectory: memberships.directory(sqlRepos.orgDirectory),
    };
    // Every Redis connection reports to one log: a line when Redis goes, a line when it is back.
    const redisOutage = config.redisUrl ? new RedisOutageLog(log) : null;
    const redisBus = config.redisUrl ? new RedisBus(config.redisUrl, config.redisPrefix, () => {}) : null;
    if (redisBus && redisOutage)
      for (const [name, connection] of redisBus.connections()) redisOutage.watch(name, connection);
    // A cluster worker without Redis talks to its siblings through the primary (options.bus).
    const bus: Bus = redisBus ?? options.bus ?? new LocalBus();
    started.push(() => bus.close());
    const orgs = new OrgService(repos.orgs, clock);
    // With the feathers dialect, every new (or re-addressed) user joins their email domain's org.
    const userRepo = new CachedUserRepository(
      config.dialects.includes('feathers')
        ? linkingOrgs(repos.users, orgs, (err, userId) =>
            log.error({ err, userId }, 'orgs: could not link a user to their domain org'),
          )
        : repos.users,
    );
    // Another node changed a user: forget our copy.
    userRepo.onChange = (appId, id) => void bus.publish('users', `${appId}:${id}`).catch(() => {});
    bus.subscribe('users', (message) => {
      const [appId, id] = message.split(':');
      if (appId && id) userRepo.evict(appId, id);
    });
    memberships.onChange = (change) =>
      void bus.publish('memberships', change === 'all' ? '*' : change.userId).catch(() => {});
    bus.subscribe('memberships', (message) =>
      memberships.apply(message === '*' ? 'all' : { userId: message }),
    );
    const hasher = new PasswordHasher(options.argon2 ?? OWASP_ARGON2, {
      ...config.hash,
      concurrency: options.hashConcurrency ?? config.hash.concurrency,
    });
    started.push(() => hasher.close());
    // Sealing uses the current master secret; the fallbacks only open (a rotation in progress).
    const secrets: MasterSecrets = { current: config.secret, fallbacks: config.secretFallbacks };
    const keys = new KeyRing(repos.keys, new Sealer(secrets, 'signing-keys'), () => clock.now());
    await keys.load();
    const tokens = new TokenService(
      keys,
      clock,
      config.issuer,
      config.clockSkewSeconds,
      deriveKeys(secrets, 'jwt:internal-tokens'),
    );
    const horizon = maxTokenLifetimeMs(config);
    const memoryRevocations = new MemoryRevocationList(horizon, () => clock.now());
    const revocations =
      config.redisUrl || options.bus
        ? new BroadcastRevocationList(memoryRevocations, bus, (err) =>
            redisOutage
              ? redisOutage.commandFailed('revocation broadcast (the database poll carries it)', err)
              : log.error({ err }, 'revocation broadcast failed; the database poll will carry it'),
          )
        : memoryRevocations;
    const sessions = new SessionService(
      repos.sessions,
      revocations,
      new Sealer(secrets, 'session-successors'),
      clock,
      {
        sessionTtlMs: config.sessionTtlSeconds * 1000,
        refreshGraceMs: config.refreshGraceSeconds * 1000,
        // Never shorter than the life of the session's own tokens: a client using one token
        // all along is not idle.
        idleMs: (kind) =>
          Math.max(config.sessionIdleSeconds, tokenTtlSeconds(config, kind) + config.clockSkewSeconds) * 1000,
      },
    );
    // The database's revocations go into this node's own set: each node reads them itself.
    const revocationSync = new RevocationSync(repos.sessions, memoryRevocations, clock);
    await revocationSync.prime(horizon);
    revocationSync.onError = (err) => log.error({ err }, 'revocation sync: store unreachable');
    // Keys rotated elsewhere (another node, the CLI): broadcast when there is a bus, and re-read every 10 s anyway.
    const keyWatch = new KeyWatch(keys, tokens, bus, (err) => log.error({ err }, 'key reload failed'));
    const sessionPurge = new SessionPurge(repos.sessions, clock, horizon);
    sessionPurge.onError = (err) => log.error({ err }, 'session purge failed');
    if (options.syncRevocations ?? true) {
      keyWatch.start();
      revocationSync.start();
      sessionPurge.start();
    }
    started.push(
      () => keyWatch.stop(),
      () => revocationSync.stop(),
      () => sessionPurge.stop(),
    );
    const users = new UserService(userRepo, hasher, sessions, clock, config.usernamesEnabled);
    let redisForCounters: Redis | null = null;
    let limiter: AttemptLimiter;
    if (options.limiter) limiter = options.limiter;
    else if (config.redisUrl) {
      redisForCounters = connectRedis(config.redisUrl, () => {});
      redisOutage?.watch('counters', redisForCounters);
      started.push(() => redisForCounters?.disconnect());
      limiter = new FallbackAttemptLimiter(
        new RedisAttemptLimiter(redisForCounters, config.redisPrefix),
        new MemoryAttemptLimiter(),
        (err) => redisOutage?.commandFailed('attempt counters (limits hold per node)', err),
      );
    } else limiter = new MemoryAttemptLimiter();
    const metrics = new Metrics(() => hasher.stats());
    limiter = countingLimiter(limiter, metrics);
    const throttleOptions = { ipv6PrefixLength: config.throttle.ipv6PrefixLength };
    const devices = new DeviceTokens(secrets, clock, config.throttle.deviceTtlSeconds);
    const mfa = new MfaService(
      repos.mfa,
      new Sealer(secrets, 'mfa-secrets'),
      new Throttle(limiter, 'mfa', throttleOptions),
      clock,
      config.issuer,
    );
    const signIn = new SignInService(
      userRepo,
      hasher,
      clock,
      new Throttle(limiter, 'signin', throttleOptions),
      mfa,
      devices,
    );
    const audit = new AuditLog(repos.audit, clock, config.audit.retentionDays * 86_400_000);
    audit.onError = (err) => log.error({ err }, 'audit: an event could not be recorded');
    if (options.syncRevocations ?? true) audit.start();
    started.push(() => audit.stop());
    observe({ signIn, mfa, sessions, users, hasher, audit, metrics });
    const authz = new Authorization(repos.permissions, clock);
    const apps = new AppService(repos.apps, repos.permissions, clock);
    const defaultApp = await apps.ensure(config.defaultApp);
    const mail = new MailService(
      repos.outbox,
      options.mailTransport ??
        (config.mail.transport === 'smtp' ? new SmtpTransport(config.mail.smtpUrl!) : new LogTransport()),
      new Sealer(secrets, 'mail-outbox'),
      clock,
      { from: config.mail.from, pollMs: 1000 },
    );
    if (options.sendMail ?? true) mail.start();
    started.push(() => mail.stop());
    // The apps dialect's sign-ins count in their own throttle scope, and are observed like every other.
    const appsSignIn = new SignInService(
      userRepo,
      hasher,
      clock,
      new Throttle(limiter, 'apps-signin', throttleOptions),
      mfa,
      devices,
    );
    appsSignIn.onAttempt = (...attempt) => signIn.onAttempt(...attempt);
    const appsCore = createAppsCore({
      users: userRepo,
      userService: users,
      signIn: appsSignIn,
      mfa,
      throttle: new Throttle(limiter, 'apps', throttleOptions),
      hasher,
      apps,
      defaultApp,
      profiles: repos.appProfiles,
      emailCodes: repos.appEmailCodes,
      tenants: repos.appTenants,
      sessions,
      tokens,
      mail,
      clock,
      masterSecrets: secrets,
      tokenTtlSeconds: config.apps.tokenTtlSeconds,
    });
    appsCore.worker.onError = (err, context) => log.error({ err }, `apps: ${context}`);
    const feathers = feathersSettings(config);
    // One lane for the work whose cost tells whether an account exists (reset mails, sign-ups).
    const deferred = new DeferredWork(config.deferredWorkIntervalMs);
    const registration = new RegistrationService(
      hasher,
      userRepo,
      repos.activationTokens,
      mail,
      new Throttle(limiter, 'signup', throttleOptions),
      clock,
      {
        appName: config.issuer,
        activationTtlMs: feathers.activationTtlSeconds * 1000,
        usernamesEnabled: config.usernamesEnabled,
        activationLink: (token, redirect) => activationLink(config, feathers, token, redirect),
      },
      deferred,
    );
    registration.onError = (err) =>
      log.error({ err }, 'sign-up: an accepted sign-up could not be carried out');
    const integrations = new IntegrationService(repos.integrations, userRepo, clock);
    // spa sign-ins serve the default app like rpc's, so they share its counters (scope 'signin').
    const spa = createSpaCore({
      repos: { aliases: repos.aliases, loginLinks: repos.loginLinks, consumedTokens: repos.consumedTokens },
      users: userRepo,
      signIn,
      mfa,
      tokens,
      limiter,
      throttleOptions,
      clock,
      clockSkewSeconds: config.clockSkewSeconds,
    });
    // Login-link sign-ins are sign-ins: the same audit events and metrics (never the token).
    spa.loginLinks.onAttempt = (...attempt) => signIn.onAttempt(...attempt);
    const identity = createIdentityManagement({
      repos,
      users: userRepo,
      userService: users,
      authz,
      mail,
      limiter,
      throttleOptions,
      clock,
      deferred,
      onError: (err, context) => log.error({ err }, `identity: ${context}`),
      settings: {
        publicUrl: config.publicUrl,
        appName: config.issuer,
        usernamesEnabled: config.usernamesEnabled,
        orgCreationOpen: config.rpc.orgCreationOpen,
      },
    });
    await hasher.warm();
    if (options.runJobs ?? true) appsCore.worker.start();
    return {
      config,
      clock,
      store,
      repos: { ...repos, users: userRepo },
      hasher,
      revocationSync,
      sessionPurge,
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
      audit,
      metrics,
      authz,
      apps,
      appsCore,
      orgs,
      integrations,
      registration,
      spa,
      identity,
      defaultApp,
      reseal: new ResealService(repos.sealedValues, secrets),
      close: async () => {
        await registration.idle();
        await identity.account.settled();
        await revocationSync.stop();
        sessionPurge.stop();
        keyWatch.stop();
        audit.stop();
        redisForCounters?.disconnect();
        await bus.close();
        await appsCore.worker.stop();
        await mail.stop();
        await hasher.close();
        // Last before the store closes: what the steps above recorded is written too.
        await audit.settled();
        if (!options.store) await store.close();
      },
    };
  } catch (err) {
    for (const stop of started.reverse()) {
      try {
        await stop();
      } catch {
        // Stopping what half-started must not hide why the start failed.
      }
    }
    if (!options.store) await store.close();
    throw err;
  }
}
