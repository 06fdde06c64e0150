import type { DialectName } from './settings.js';

export interface CookieConfig {
  name: string;
  domain: string | null;
  path: string;
  secure: boolean;
  sameSite: 'strict' | 'lax' | 'none';
  autoRenew: boolean;
}

export interface Config {
  port: number;
  host: string;
  databaseUrl: string;
  redisUrl: string | null;
  redisPrefix: string;
  /** Always set after loading: given, or generated into dataDir outside production. */
  secret: string;
  /** Secrets being rotated out: they still open sealed values; only `secret` seals. */
  secretFallbacks: string[];
  dataDir: string;
  migrateOnStart: boolean;
  issuer: string;
  publicUrl: string;
  defaultApp: string;
  bearerTtlSeconds: number;
  sessionTtlSeconds: number;
  sessionIdleSeconds: number;
  refreshGraceSeconds: number;
  clockSkewSeconds: number;
  usernamesEnabled: boolean;
  throttle: { ipv6PrefixLength: number; deviceTtlSeconds: number };
  cookie: CookieConfig;
  dialects: DialectName[];
  rpc: {
    prefix: string;
    /** Any signed-in user may create orgs (becoming their admin); otherwise org.create needs global yeep.org.write. */
    orgCreationOpen: boolean;
  };
  spa: {
    /** null: mounted at the root. Checked by config/spa.ts. */
    prefix: string | null;
    cookie: { name: string; secure: boolean; sameSite: 'strict' | 'lax' | 'none' };
    accessTokenTtlSeconds: number;
    sessionTtlSeconds: number;
    allowedOrigins: string[];
  };
  apps: { tokenTtlSeconds: number };
  feathers: {
    /** null: mounted at the root. */
    prefix: string | null;
    tokenTtlSeconds: number;
    signupEnabled: boolean;
    activationTtlSeconds: number;
    /** Comma-separated origins; parsed and checked by config/feathers.ts. */
    redirectOrigins: string | null;
  };
  trustProxy: string | null;
  bodyLimitBytes: number;
  /** `auto` or a whole number ≥ 1 (checked at load); see cluster/workers.ts. */
  workers: string;
  deferredWorkIntervalMs: number;
  http: { requestTimeoutSeconds: number; headersTimeoutSeconds: number; keepAliveTimeoutSeconds: number };
  hash: { concurrency: number; maxQueue: number; maxWaitMs: number; nice: number };
  mail: { transport: 'log' | 'smtp'; smtpUrl: string | null; from: string };
  audit: { retentionDays: number };
  /** A bearer token /metrics requires; null: open (kept off the public network by the operator). */
  metrics: { token: string | null };
  logLevel: string;
  production: boolean;
}
