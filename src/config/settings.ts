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
  | { kind: 'list'; values: readonly string[] }
  /** Free-form strings: a JSON array in the config file, comma-separated in the environment. */
  | { kind: 'strings' };

export interface Setting {
  path: string;
  env: string;
  type: SettingType;
  /** null means "not set"; the loader or the feature decides what that implies. */
  default: string | number | boolean | string[] | null;
  description: string;
}

export const DIALECT_NAMES = ['rpc', 'feathers', 'apps', 'spa'] as const;
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
    path: 'secretFallbacks',
    env: 'LATCHKEY_SECRET_FALLBACKS',
    type: { kind: 'strings' },
    default: [],
    description:
      'Other master secrets that still open what was sealed under them, never used to seal: the old secret while the master secret is rotated (see docs/deploy.md), comma-separated in the environment. Each at least 32 characters.',
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
    default: null,
    description:
      'Base URL users reach Latchkey at; links in mail, the hosted pages and the spa dialect’s same-origin check are built from it, never from the Host header. Unset means where the server listens, `http://<host>:<port>` (so `PORT=18080` gives `http://127.0.0.1:18080`), with a wildcard `host` (`0.0.0.0`, `::`) taken as `127.0.0.1`; set it whenever users reach Latchkey by another name (a domain, a proxy, https).',
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
    path: 'sessionIdleSeconds',
    env: 'LATCHKEY_SESSION_IDLE_SECONDS',
    type: { kind: 'integer', min: 300, max: 31536000 },
    default: 604800,
    description:
      'A session neither signed into nor refreshed for this long ends: its next refresh is refused (the sign-in starts again). Never shorter in effect than the lifetime of the session’s own access tokens.',
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
    path: 'throttle.ipv6PrefixLength',
    env: 'LATCHKEY_THROTTLE_IPV6_PREFIX_LENGTH',
    type: { kind: 'integer', min: 32, max: 128 },
    default: 64,
    description:
      'Per-address limits count an IPv6 client by this many leading bits of its address (a /64 is what one client usually holds); IPv4 clients by their whole address.',
  },
  {
    path: 'throttle.deviceTtlSeconds',
    env: 'LATCHKEY_THROTTLE_DEVICE_TTL_SECONDS',
    type: { kind: 'integer', min: 86400, max: 63072000 },
    default: 31536000,
    description:
      'Lifetime of the device token a client gets at sign-in (`latchkey_device` cookie, `Latchkey-Device` header); renewed at each sign-in. A client presenting one keeps its own password allowance on that account (docs/deploy.md, "Sign-in throttling").',
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
    default: ['rpc', 'feathers', 'apps', 'spa'],
    description: 'Comma-separated dialects to mount.',
  },
  {
    path: 'apps.tokenTtlSeconds',
    env: 'LATCHKEY_APPS_TOKEN_TTL_SECONDS',
    type: { kind: 'integer', min: 60, max: 604800 },
    default: 3600,
    description:
      "Lifetime of the apps dialect's principal tokens (the reference's 1 h; at most its 168 h); never past the session's absolute end.",
  },
  {
    path: 'rpc.prefix',
    env: 'LATCHKEY_RPC_PREFIX',
    type: { kind: 'string', minLength: 1 },
    default: '/api',
    description: 'Path prefix of the rpc dialect (`<prefix>/<ns>.<method>`).',
  },
  {
    path: 'rpc.orgCreationOpen',
    env: 'LATCHKEY_RPC_ORG_CREATION_OPEN',
    type: { kind: 'boolean' },
    default: false,
    description:
      'Let any signed-in user create orgs with `org.create` (becoming their admin); off, it needs the global `yeep.org.write` permission.',
  },
  {
    path: 'feathers.prefix',
    env: 'LATCHKEY_FEATHERS_PREFIX',
    type: { kind: 'string', minLength: 2 },
    default: null,
    description:
      'Path prefix of the feathers dialect (`<prefix>/auth/login`, …); unset mounts it at the root (`/auth/login`, `/authentication`, `/signup`, `/activate`).',
  },
  {
    path: 'feathers.tokenTtlSeconds',
    env: 'LATCHKEY_FEATHERS_TOKEN_TTL_SECONDS',
    type: { kind: 'integer', min: 60, max: 2592000 },
    default: 86400,
    description:
      "Lifetime of the feathers dialect's access tokens (Feathers' `1d` by default); never past the session's absolute end.",
  },
  {
    path: 'feathers.signupEnabled',
    env: 'LATCHKEY_FEATHERS_SIGNUP_ENABLED',
    type: { kind: 'boolean' },
    default: true,
    description:
      'Whether the feathers dialect serves `POST /signup` (self-registration with an activation mail).',
  },
  {
    path: 'feathers.activationTtlSeconds',
    env: 'LATCHKEY_FEATHERS_ACTIVATION_TTL_SECONDS',
    type: { kind: 'integer', min: 300, max: 2592000 },
    default: 172800,
    description: 'How long an activation link sent by `POST /signup` works (once).',
  },
  {
    path: 'feathers.redirectOrigins',
    env: 'LATCHKEY_FEATHERS_REDIRECT_ORIGINS',
    type: { kind: 'string', minLength: 1 },
    default: null,
    description:
      'Comma-separated origins (`https://app.example.com`) that `GET /activate?redirect=` may send the browser to; unset allows no redirect.',
  },
  {
    path: 'spa.prefix',
    env: 'LATCHKEY_SPA_PREFIX',
    type: { kind: 'string', minLength: 2 },
    default: null,
    description:
      'Path prefix of the spa dialect (`<prefix>/login`, `<prefix>/refresh`, …); unset mounts it at the root. The refresh cookie’s `Path` is the prefix (`/` at the root).',
  },
  {
    path: 'spa.cookie.name',
    env: 'LATCHKEY_SPA_COOKIE_NAME',
    type: { kind: 'string', minLength: 1 },
    default: 'it24_refresh_token',
    description:
      'Name of the spa refresh cookie. A `__Secure-` name needs `spa.cookie.secure`; `__Host-` also needs the dialect at the root.',
  },
  {
    path: 'spa.cookie.secure',
    env: 'LATCHKEY_SPA_COOKIE_SECURE',
    type: { kind: 'boolean' },
    default: true,
    description: 'The refresh cookie’s `Secure` flag; switch off only for plain-http development.',
  },
  {
    path: 'spa.cookie.sameSite',
    env: 'LATCHKEY_SPA_COOKIE_SAMESITE',
    type: { kind: 'enum', values: ['strict', 'lax', 'none'] },
    default: 'lax',
    description:
      'The refresh cookie’s `SameSite`; `none` (an SPA on another site) needs `spa.cookie.secure` and a listed origin.',
  },
  {
    path: 'spa.accessTokenTtlSeconds',
    env: 'LATCHKEY_SPA_ACCESS_TOKEN_TTL_SECONDS',
    type: { kind: 'integer', min: 1, max: 86400 },
    default: 900,
    description: 'Lifetime of the spa access tokens (never past the session’s absolute end).',
  },
  {
    path: 'spa.sessionTtlSeconds',
    env: 'LATCHKEY_SPA_SESSION_TTL_SECONDS',
    type: { kind: 'integer', min: 300, max: 31536000 },
    default: 86400,
    description:
      'Absolute lifetime of an spa session and its refresh cookie; rotating the cookie never extends it.',
  },
  {
    path: 'spa.allowedOrigins',
    env: 'LATCHKEY_SPA_ALLOWED_ORIGINS',
    type: { kind: 'strings' },
    default: [],
    description:
      'Origins (`https://app.example.com`) other than `publicUrl` whose pages may call the spa routes with credentials (CORS) and receive the hosted MFA page’s answer; comma-separated in the environment.',
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
    path: 'workers',
    env: 'LATCHKEY_WORKERS',
    type: { kind: 'string', minLength: 1 },
    default: '1',
    description:
      'HTTP worker processes sharing the port (`node:cluster`): a number, or `auto` for one per CPU core. Without Redis the primary process relays revocations and cache evictions between them and holds the attempt counters; the hash slots (`hash.concurrency`) are shared out among them. See docs/deploy.md.',
  },
  {
    path: 'deferredWorkIntervalMs',
    env: 'LATCHKEY_DEFERRED_WORK_INTERVAL_MS',
    type: { kind: 'integer', min: 10, max: 60000 },
    default: 1000,
    description:
      "Password-reset mails and `/signup` accounts are looked up and written on a tick of this period, never right after the request: the work costs more when the account exists, and right after the answer it would delay the caller's next request (a side channel). Adds up to this much to their mail's delay.",
  },
  {
    path: 'http.requestTimeoutSeconds',
    env: 'LATCHKEY_REQUEST_TIMEOUT_SECONDS',
    type: { kind: 'integer', min: 1, max: 3600 },
    default: 30,
    description:
      'A request whose headers and body have not all arrived this long after it began is answered 408 and its connection closed, so a client that stops sending cannot hold a connection (checked every second).',
  },
  {
    path: 'http.headersTimeoutSeconds',
    env: 'LATCHKEY_HEADERS_TIMEOUT_SECONDS',
    type: { kind: 'integer', min: 1, max: 3600 },
    default: 10,
    description:
      "Time allowed for a request's headers to arrive; after it, 408 and the connection is closed. Capped at `http.requestTimeoutSeconds`.",
  },
  {
    path: 'http.keepAliveTimeoutSeconds',
    env: 'LATCHKEY_KEEP_ALIVE_TIMEOUT_SECONDS',
    type: { kind: 'integer', min: 1, max: 3600 },
    default: 72,
    description:
      'How long an idle keep-alive connection stays open. Longer than the idle timeout of the proxy in front (nginx and most load balancers use 60 s), so the proxy, not Latchkey, closes an idle connection and never reuses one being closed.',
  },
  {
    path: 'hash.concurrency',
    env: 'LATCHKEY_HASH_CONCURRENCY',
    type: { kind: 'integer', min: 0, max: 64 },
    default: 0,
    description:
      'Password hashes computed at once, each on a worker thread (off the event loop); 0 = one fewer than the CPU cores, at least 1, so hashing never takes every core from the requests that do not hash.',
  },
  {
    path: 'hash.nice',
    env: 'LATCHKEY_HASH_NICE',
    type: { kind: 'integer', min: 0, max: 19 },
    default: 10,
    description:
      'Scheduling priority (nice value, Linux) of the hashing threads: when hashes and requests compete for a core, requests win (at 10 a hash gets about a tenth of a contended core; at 19 almost nothing, at 0 an equal share). An idle core hashes at full speed whatever the value.',
  },
  {
    path: 'hash.maxQueue',
    env: 'LATCHKEY_HASH_MAX_QUEUE',
    type: { kind: 'integer', min: 0, max: 100000 },
    default: 64,
    description: 'Hashes allowed to wait; beyond it sign-ins get 503 with `Retry-After`.',
  },
  {
    path: 'hash.maxWaitMs',
    env: 'LATCHKEY_HASH_MAX_WAIT_MS',
    type: { kind: 'integer', min: 0, max: 60000 },
    default: 500,
    description:
      'A sign-in whose hash would wait longer than this for a slot (judged from the recent hash times) gets 503 with `Retry-After` at once.',
  },
  {
    path: 'mail.transport',
    env: 'LATCHKEY_MAIL_TRANSPORT',
    type: { kind: 'enum', values: ['log', 'smtp'] },
    default: 'log',
    description:
      "`log` prints each message (links included) to standard output as one JSON log line with a `mail` field (`jq -r 'select(.mail) | .mail.text'` shows the texts), for development; `smtp` sends it.",
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
    path: 'audit.retentionDays',
    env: 'LATCHKEY_AUDIT_RETENTION_DAYS',
    type: { kind: 'integer', min: 1, max: 3650 },
    default: 90,
    description: 'How long security events are kept in the audit log.',
  },
  {
    path: 'metrics.token',
    env: 'LATCHKEY_METRICS_TOKEN',
    type: { kind: 'string', minLength: 16 },
    default: null,
    description:
      'When set, `GET /metrics` answers only requests with `Authorization: Bearer <this token>` (others get 401); at least 16 characters. Unset, it answers anyone: keep it off the public network then (see docs/deploy.md).',
  },
  {
    path: 'logLevel',
    env: 'LOG_LEVEL',
    type: { kind: 'enum', values: ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] },
    default: 'info',
    description: 'Log level (JSON logs on stdout).',
  },
];
