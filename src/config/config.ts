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
  dataDir: string;
  migrateOnStart: boolean;
  issuer: string;
  publicUrl: string;
  defaultApp: string;
  bearerTtlSeconds: number;
  sessionTtlSeconds: number;
  refreshGraceSeconds: number;
  clockSkewSeconds: number;
  usernamesEnabled: boolean;
  cookie: CookieConfig;
  dialects: DialectName[];
  rpc: { prefix: string };
  trustProxy: string | null;
  bodyLimitBytes: number;
  hash: { concurrency: number; maxQueue: number };
  mail: { transport: 'log' | 'smtp'; smtpUrl: string | null; from: string };
  logLevel: string;
  production: boolean;
}
