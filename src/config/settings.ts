/**
 * Every configuration key Latchkey understands, in one table: its path in
 * latchkey.config.json, its environment variable, its type, its default and what
 * it does. The loader, the validator and the README's configuration table are all
 * derived from this list (a test keeps the README in step).
 */
export type SettingType =
  | { kind: 'string'; minLength?: number }
  | { kind: 'url'; schemes: string[] }
  | { kind: 'integer'; min: number; max: number }
  | { kind: 'boolean' }
  | { kind: 'enum'; values: readonly string[] }
  | { kind: 'list'; values: readonly string[] };

export interface Setting {
  path: string;
  env: string;
  type: SettingType;
  /** null means "not set"; the loader or the feature decides what that implies. */
  default: string | number | boolean | string[] | null;
  description: string;
}

export const DIALECT_NAMES = ['rpc'] as const;
export type DialectName = (typeof DIALECT_NAMES)[number];

export const SETTINGS: readonly Setting[] = [
  {
    path: 'port',
    env: 'PORT',
    type: { kind: 'integer', min: 0, max: 65535 },
    default: 8080,
    description: 'TCP port to listen on.',
  },
  {
    path: 'host',
    env: 'HOST',
    type: { kind: 'string', minLength: 1 },
    default: '127.0.0.1',
    description: 'Interface to bind; use `0.0.0.0` to listen on every interface.',
  },
  {
    path: 'databaseUrl',
    env: 'DATABASE_URL',
    type: { kind: 'url', schemes: ['sqlite', 'postgres', 'postgresql'] },
    default: null,
    description:
      '`sqlite:<path>` (embedded) or `postgres://user@host:port/db`; unset means `sqlite:<dataDir>/latchkey.db`.',
  },
  {
    path: 'redisUrl',
    env: 'REDIS_URL',
    type: { kind: 'url', schemes: ['redis', 'rediss'] },
    default: null,
    description: 'Optional Redis for shared counters and revocation across nodes.',
  },
  {
    path: 'redisPrefix',
    env: 'LATCHKEY_REDIS_PREFIX',
    type: { kind: 'string', minLength: 1 },
    default: 'latchkey:',
    description: 'Prefix of every Redis key and channel, so several deployments can share one Redis.',
  },
  {
    path: 'secret',
    env: 'LATCHKEY_SECRET',
    type: { kind: 'string', minLength: 32 },
    default: null,
    description:
      'Master secret (at least 32 characters) that encrypts keys and secrets at rest. Outside production a missing one is generated once into the data directory (mode 0600); with `NODE_ENV=production` it is required.',
  },
  {
    path: 'dataDir',
    env: 'LATCHKEY_DATA_DIR',
    type: { kind: 'string', minLength: 1 },
    default: './data',
    description:
      'Directory for the SQLite file (unless `DATABASE_URL` says otherwise) and the generated development master secret.',
  },
  {
    path: 'migrateOnStart',
    env: 'LATCHKEY_MIGRATE_ON_START',
    type: { kind: 'boolean' },
    default: true,
    description: 'Run pending migrations when the server starts (otherwise run `latchkey migrate`).',
  },
  {
    path: 'issuer',
    env: 'LATCHKEY_ISSUER',
    type: { kind: 'string', minLength: 1 },
    default: 'latchkey',
    description: 'The `iss` of every token Latchkey signs.',
  },
  {
    path: 'publicUrl',
    env: 'LATCHKEY_PUBLIC_URL',
    type: { kind: 'url', schemes: ['http', 'https'] },
    default: 'http://localhost:8080',
    description:
      'Base URL users reach Latchkey at; links in mail are built from it, never from the Host header.',
  },
  {
    path: 'defaultApp',
    env: 'LATCHKEY_DEFAULT_APP',
    type: { kind: 'string', minLength: 3 },
    default: 'latchkey/default',
    description: 'The `owner/app` the rpc dialect serves.',
  },
  {
    path: 'bearerTtlSeconds',
    env: 'LATCHKEY_BEARER_TTL_SECONDS',
    type: { kind: 'integer', min: 30, max: 86400 },
    default: 900,
    description: 'Lifetime of session (bearer and cookie) tokens.',
  },
  {
    path: 'sessionTtlSeconds',
    env: 'LATCHKEY_SESSION_TTL_SECONDS',
    type: { kind: 'integer', min: 300, max: 31536000 },
    default: 2592000,
    description: 'Absolute session lifetime; refreshing never extends it.',
  },
  {
    path: 'refreshGraceSeconds',
    env: 'LATCHKEY_REFRESH_GRACE_SECONDS',
    type: { kind: 'integer', min: 0, max: 300 },
    default: 60,
    description:
      'Window in which a rotated token still yields the same successor (concurrent refreshes agree); reuse after it revokes the session.',
  },
  {
    path: 'clockSkewSeconds',
    env: 'LATCHKEY_CLOCK_SKEW_SECONDS',
    type: { kind: 'integer', min: 0, max: 300 },
    default: 30,
    description: 'Tolerance for `exp`/`nbf` when verifying tokens.',
  },
  {
    path: 'usernamesEnabled',
    env: 'LATCHKEY_USERNAMES_ENABLED',
    type: { kind: 'boolean' },
    default: true,
    description: 'Whether users have a username (unique per app, case-insensitive) besides their emails.',
  },
  {
    path: 'cookie.name',
    env: 'LATCHKEY_COOKIE_NAME',
    type: { kind: 'string', minLength: 1 },
    default: 'session',
    description: 'Name of the rpc session cookie.',
  },
  {
    path: 'cookie.domain',
    env: 'LATCHKEY_COOKIE_DOMAIN',
    type: { kind: 'string', minLength: 1 },
    default: null,
    description: 'Cookie `Domain`; unset means host-only.',
  },
  {
    path: 'cookie.path',
    env: 'LATCHKEY_COOKIE_PATH',
    type: { kind: 'string', minLength: 1 },
    default: '/',
    description: 'Cookie `Path`.',
  },
  {
    path: 'cookie.secure',
    env: 'LATCHKEY_COOKIE_SECURE',
    type: { kind: 'boolean' },
    default: true,
    description: 'Cookie `Secure` flag; switch off only for plain-http development.',
  },
  {
    path: 'cookie.sameSite',
    env: 'LATCHKEY_COOKIE_SAMESITE',
    type: { kind: 'enum', values: ['strict', 'lax', 'none'] },
    default: 'lax',
    description: 'Cookie `SameSite`.',
  },
  {
    path: 'cookie.autoRenew',
    env: 'LATCHKEY_COOKIE_AUTO_RENEW',
    type: { kind: 'boolean' },
    default: true,
    description: 'Renew an expired session cookie transparently (rotating it) while its session lives.',
  },
  {
    path: 'dialects',
    env: 'LATCHKEY_DIALECTS',
    type: { kind: 'list', values: DIALECT_NAMES },
    default: ['rpc'],
    description: 'Comma-separated dialects to mount.',
  },
  {
    path: 'rpc.prefix',
    env: 'LATCHKEY_RPC_PREFIX',
    type: { kind: 'string', minLength: 1 },
    default: '/api',
    description: 'Path prefix of the rpc dialect (`<prefix>/<ns>.<method>`).',
  },
  {
    path: 'trustProxy',
    env: 'LATCHKEY_TRUST_PROXY',
    type: { kind: 'string', minLength: 1 },
    default: null,
    description:
      'Addresses or CIDRs of reverse proxies whose `X-Forwarded-For` is believed (comma-separated); unset believes none.',
  },
  {
    path: 'bodyLimitBytes',
    env: 'LATCHKEY_BODY_LIMIT_BYTES',
    type: { kind: 'integer', min: 1024, max: 10485760 },
    default: 65536,
    description: 'Largest request body accepted; larger ones get 413.',
  },
  {
    path: 'hash.concurrency',
    env: 'LATCHKEY_HASH_CONCURRENCY',
    type: { kind: 'integer', min: 1, max: 64 },
    default: 4,
    description: 'Password hashes computed at once (off the event loop).',
  },
  {
    path: 'hash.maxQueue',
    env: 'LATCHKEY_HASH_MAX_QUEUE',
    type: { kind: 'integer', min: 0, max: 100000 },
    default: 64,
    description: 'Hashes allowed to wait; beyond it sign-ins get 503 with `Retry-After`.',
  },
  {
    path: 'mail.transport',
    env: 'LATCHKEY_MAIL_TRANSPORT',
    type: { kind: 'enum', values: ['log', 'smtp'] },
    default: 'log',
    description:
      '`log` prints each message (links included) to standard output, for development; `smtp` sends it.',
  },
  {
    path: 'mail.smtpUrl',
    env: 'LATCHKEY_SMTP_URL',
    type: { kind: 'url', schemes: ['smtp', 'smtps'] },
    default: null,
    description: 'SMTP server for the `smtp` transport, e.g. `smtps://user:pass@mail.example.com:465`.',
  },
  {
    path: 'mail.from',
    env: 'LATCHKEY_MAIL_FROM',
    type: { kind: 'string', minLength: 3 },
    default: 'Latchkey <no-reply@localhost>',
    description: 'Sender of every message.',
  },
  {
    path: 'logLevel',
    env: 'LOG_LEVEL',
    type: { kind: 'enum', values: ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] },
    default: 'info',
    description: 'Log level (JSON logs on stdout).',
  },
];
