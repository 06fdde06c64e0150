import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { deepFreeze } from '../shared/freeze.js';
import { privateDirectory, warnIfShared } from '../shared/private-files.js';
import type { Config } from './config.js';
import { checkSessionCookie } from './cookie.js';
import { listeningUrl } from './public-url.js';
import { SETTINGS, type Setting } from './settings.js';

export class ConfigError extends Error {
  constructor(
    readonly key: string,
    message: string,
  ) {
    super(`configuration: ${key}: ${message}`);
    this.name = 'ConfigError';
  }
}

export interface LoadOptions {
  env?: NodeJS.ProcessEnv;
  /** Path of the JSON config file; defaults to ./latchkey.config.json when present. */
  configFile?: string;
  /** Overrides applied last (tests, CLI flags), by setting path. */
  overrides?: Record<string, unknown>;
  /** Print warnings (a generated secret) somewhere; defaults to stderr. */
  warn?: (message: string) => void;
}

function getPath(obj: Record<string, unknown>, path: string): unknown {
  let cur: unknown = obj;
  for (const part of path.split('.')) {
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = (cur as Record<string, unknown>)[part];
  }
  return cur;
}

function setPath(obj: Record<string, unknown>, path: string, value: unknown): void {
  const parts = path.split('.');
  let cur = obj;
  for (const part of parts.slice(0, -1)) {
    if (typeof cur[part] !== 'object' || cur[part] === null) cur[part] = {};
    cur = cur[part] as Record<string, unknown>;
  }
  cur[parts.at(-1)!] = value;
}

/** Turns a raw value (env strings or JSON values) into the setting's type, or throws naming the key. */
function coerce(setting: Setting, raw: unknown, source: string): unknown {
  const fail = (why: string): never => {
    throw new ConfigError(`${setting.path} (${source})`, why);
  };
  if (raw === null) return null;
  const t = setting.type;
  switch (t.kind) {
    case 'string': {
      if (typeof raw !== 'string') fail('must be a string');
      const s = raw as string;
      if (t.minLength !== undefined && s.length < t.minLength)
        fail(`must be at least ${t.minLength} characters`);
      return s;
    }
    case 'url': {
      if (typeof raw !== 'string') fail('must be a URL string');
      const scheme = (raw as string).split(':')[0]?.toLowerCase() ?? '';
      if (!t.schemes.includes(scheme))
        fail(`must start with one of ${t.schemes.map((s) => `${s}:`).join(', ')}`);
      return raw;
    }
    case 'integer': {
      const n = typeof raw === 'string' && /^-?\d+$/.test(raw.trim()) ? Number(raw.trim()) : raw;
      if (typeof n !== 'number' || !Number.isInteger(n)) fail('must be an integer');
      if ((n as number) < t.min || (n as number) > t.max) fail(`must be between ${t.min} and ${t.max}`);
      return n;
    }
    case 'boolean': {
      if (typeof raw === 'boolean') return raw;
      if (typeof raw === 'string' && ['true', '1', 'yes', 'on'].includes(raw.toLowerCase())) return true;
      if (typeof raw === 'string' && ['false', '0', 'no', 'off'].includes(raw.toLowerCase())) return false;
      return fail('must be a boolean: true, false, 1, 0, yes, no, on or off');
    }
    case 'enum': {
      if (typeof raw !== 'string' || !t.values.includes(raw.toLowerCase()))
        fail(`must be one of ${t.values.join(', ')}`);
      return (raw as string).toLowerCase();
    }
    case 'list': {
      const items =
        typeof raw === 'string'
          ? raw
              .split(',')
              .map((s) => s.trim())
              .filter(Boolean)
          : raw;
      if (!Array.isArray(items) || items.some((i) => typeof i !== 'string')) fail('must be a list of names');
      for (const item of items as string[])
        if (!t.values.includes(item)) fail(`unknown value '${item}' (known: ${t.values.join(', ')})`);
      return [...new Set(items as string[])];
    }
    case 'strings': {
      const items =
        typeof raw === 'string'
          ? raw
              .split(',')
              .map((s) => s.trim())
              .filter(Boolean)
          : raw;
      if (!Array.isArray(items) || items.some((i) => typeof i !== 'string'))
        fail('must be a list of strings (comma-separated in the environment)');
      return [...new Set((items as string[]).map((i) => i.trim()).filter(Boolean))];
    }
  }
}

/** The config file's values, and its name for messages (null: no file). */
function readConfigFile(path: string | undefined): { name: string | null; values: Record<string, unknown> } {
  const file = path ?? (existsSync('latchkey.config.json') ? 'latchkey.config.json' : undefined);
  if (!file) return { name: null, values: {} };
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    throw new ConfigError(file, `cannot be read as JSON: ${(err as Error).message}`);
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed))
    throw new ConfigError(file, 'must hold a JSON object');
  return { name: file, values: parsed as Record<string, unknown> };
}

/** Reads or creates the development master secret in dataDir (0700), with mode 0600. */
function developmentSecret(dataDir: string, warn: (m: string) => void): string {
  const file = join(resolve(dataDir), 'secret');
  privateDirectory(resolve(dataDir), warn);
  if (existsSync(file)) {
    warnIfShared(file, 0o600, warn);
    return readFileSync(file, 'utf8').trim();
  }
  const secret = randomBytes(48).toString('base64url');
  writeFileSync(file, `${secret}\n`, { mode: 0o600 });
  chmodSync(file, 0o600);
  warn(
    `LATCHKEY_SECRET is not set: generated a master secret into ${file}. Set LATCHKEY_SECRET in production.`,
  );
  return secret;
}

/** defaults ← latchkey.config.json ← environment ← overrides; validated and frozen. */
export function loadConfig(options: LoadOptions = {}): Config {
  const env = options.env ?? process.env;
  const warn = options.warn ?? ((m: string) => process.stderr.write(`warning: ${m}\n`));
  const { name: fileName, values: file } = readConfigFile(options.configFile ?? env['LATCHKEY_CONFIG']);
  const known = new Set(SETTINGS.map((s) => s.path));
  for (const key of flattenKeys(file))
    if (!known.has(key)) throw new ConfigError(`${key} (${fileName})`, 'unknown configuration key');

  const out: Record<string, unknown> = {};
  for (const setting of SETTINGS) {
    let value: unknown = setting.default;
    const fromFile = getPath(file, setting.path);
    if (fromFile !== undefined) value = coerce(setting, fromFile, fileName ?? 'config file');
    const fromEnv = env[setting.env];
    if (fromEnv !== undefined && fromEnv !== '') value = coerce(setting, fromEnv, setting.env);
    const override = options.overrides?.[setting.path];
    if (override !== undefined) value = coerce(setting, override, 'override');
    setPath(out, setting.path, value);
  }
  out['databaseUrl'] ??= `sqlite:${join(out['dataDir'] as string, 'latchkey.db')}`;
  const production = env['NODE_ENV'] === 'production';
  out['production'] = production;
  if (out['publicUrl'] === null) {
    out['publicUrl'] = listeningUrl(out['host'] as string, out['port'] as number);
    if (production)
      warn(
        `publicUrl (LATCHKEY_PUBLIC_URL) is not set: links in mail point at ${out['publicUrl']}, where the server listens. Set it to the address users reach.`,
      );
  }
  if (out['secret'] === null) {
    if (production)
      throw new ConfigError(
        'secret (LATCHKEY_SECRET)',
        'is required when NODE_ENV=production (at least 32 characters)',
      );
    out['secret'] = developmentSecret(out['dataDir'] as string, warn);
  }
  checkSecretFallbacks(out['secret'] as string, out['secretFallbacks'] as string[]);
  const prefix = getPath(out, 'rpc.prefix') as string;
  if (!prefix.startsWith('/') || prefix.endsWith('/'))
    throw new ConfigError('rpc.prefix', "must start with '/' and not end with '/'");
  if (!/^[a-z0-9][a-z0-9_.-]*\/[a-z0-9][a-z0-9_.-]*$/.test(out['defaultApp'] as string)) {
    throw new ConfigError('defaultApp', "must be '<owner>/<app>' in lowercase");
  }
  checkSessionCookie(out as unknown as Config);
  if (!/^(auto|[1-9][0-9]{0,2})$/.test(out['workers'] as string))
    throw new ConfigError('workers (LATCHKEY_WORKERS)', "must be 'auto' or a whole number from 1 to 999");
  const mail = out['mail'] as { transport: string; smtpUrl: string | null };
  if (mail.transport === 'smtp' && !mail.smtpUrl)
    throw new ConfigError('mail.smtpUrl (LATCHKEY_SMTP_URL)', 'is required when mail.transport is smtp');
  if (production && mail.transport === 'log') {
    warn(
      'mail.transport is "log" in production: messages (with their one-time links) are printed, not sent. Configure smtp.',
    );
  }
  return deepFreeze(out) as unknown as Config;
}

function flattenKeys(obj: Record<string, unknown>, prefix = ''): string[] {
  const keys: string[] = [];
  for (const [k, v] of Object.entries(obj)) {
    const path = prefix ? `${prefix}.${k}` : k;
    if (v !== null && typeof v === 'object' && !Array.isArray(v))
      keys.push(...flattenKeys(v as Record<string, unknown>, path));
    else keys.push(path);
  }
  return keys;
}

/** Fallbacks are whole secrets too, and the current one is not its own fallback. */
function checkSecretFallbacks(secret: string, fallbacks: string[]): void {
  const where = 'secretFallbacks (LATCHKEY_SECRET_FALLBACKS)';
  if (fallbacks.some((f) => f.length < 32))
    throw new ConfigError(where, 'each must be at least 32 characters');
  if (fallbacks.includes(secret))
    throw new ConfigError(where, 'must not repeat the current secret (LATCHKEY_SECRET)');
}
