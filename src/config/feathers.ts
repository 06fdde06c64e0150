import type { Config } from './config.js';
import { ConfigError } from './load.js';

/** The feathers dialect's settings, checked and normalised. */
export interface FeathersSettings {
  /** '' when mounted at the root, otherwise `/<segment>[/<segment>…]`. */
  prefix: string;
  tokenTtlSeconds: number;
  signupEnabled: boolean;
  activationTtlSeconds: number;
  /** Exact origins (`scheme://host[:port]`) that /activate may redirect to. */
  redirectOrigins: ReadonlySet<string>;
}

const PREFIX = /^(\/[A-Za-z0-9._~-]+)+$/;

/**
 * Reads `feathers.*` from the loaded configuration. A bad value fails start-up
 * with a message naming the key, like every other setting.
 */
export function feathersSettings(config: Config): FeathersSettings {
  const f = config.feathers;
  const prefix = f.prefix ?? '';
  if (prefix !== '' && !PREFIX.test(prefix)) {
    throw new ConfigError(
      'feathers.prefix (LATCHKEY_FEATHERS_PREFIX)',
      "must start with '/', not end with '/', and hold only path characters",
    );
  }
  return {
    prefix,
    tokenTtlSeconds: f.tokenTtlSeconds,
    signupEnabled: f.signupEnabled,
    activationTtlSeconds: f.activationTtlSeconds,
    redirectOrigins: parseOrigins(f.redirectOrigins),
  };
}

function parseOrigins(value: string | null): ReadonlySet<string> {
  const origins = new Set<string>();
  if (value === null) return origins;
  for (const item of value.split(',').map((s) => s.trim())) {
    if (item === '') continue;
    let url: URL;
    try {
      url = new URL(item);
    } catch {
      throw new ConfigError(
        'feathers.redirectOrigins (LATCHKEY_FEATHERS_REDIRECT_ORIGINS)',
        `'${item}' is not a URL`,
      );
    }
    // An origin and nothing else: a path would suggest a narrower rule than the one enforced.
    if (
      (url.protocol !== 'https:' && url.protocol !== 'http:') ||
      url.pathname !== '/' ||
      url.search !== '' ||
      url.hash !== '' ||
      url.username !== '' ||
      url.password !== ''
    ) {
      throw new ConfigError(
        'feathers.redirectOrigins (LATCHKEY_FEATHERS_REDIRECT_ORIGINS)',
        `'${item}' must be an http(s) origin such as https://app.example.com (no path, query or credentials)`,
      );
    }
    origins.add(url.origin);
  }
  return origins;
}

/**
 * The URL /activate may send a browser to, or null when it is not allowed. Only an
 * absolute http(s) URL whose origin is configured exactly passes: relative URLs,
 * `//host`, other schemes, credentials in the URL and look-alike hosts are refused,
 * so the route is never an open redirect.
 */
export function allowedRedirect(settings: FeathersSettings, candidate: string): string | null {
  if (candidate.length > 2048) return null;
  let url: URL;
  try {
    url = new URL(candidate);
  } catch {
    return null;
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') return null;
  if (url.username !== '' || url.password !== '') return null;
  if (!settings.redirectOrigins.has(url.origin)) return null;
  return url.href;
}

/** The activation link of a mail: always built from `publicUrl`, never from a request's Host header. */
export function activationLink(
  config: Config,
  settings: FeathersSettings,
  token: string,
  redirect: string | null,
): string {
  const url = new URL(config.publicUrl);
  // publicUrl may carry a path (Latchkey behind a proxy under /auth): keep it.
  url.pathname = `${url.pathname.replace(/\/$/, '')}${settings.prefix}/activate`;
  url.search = '';
  url.hash = '';
  url.searchParams.set('token', token);
  if (redirect) url.searchParams.set('redirect', redirect);
  return url.href;
}
