import type { Config } from './config.js';
import { COOKIE_NAME } from './cookie.js';
import { ConfigError } from './load.js';

/** The spa dialect's settings, checked and normalised. */
export interface SpaSettings {
  /** '' when mounted at the root, otherwise `/<segment>[/<segment>…]`. */
  prefix: string;
  cookie: {
    name: string;
    /** The mount itself: the narrowest path that still reaches `/refresh` and `/logout`. */
    path: string;
    secure: boolean;
    sameSite: 'strict' | 'lax' | 'none';
  };
  accessTokenTtlSeconds: number;
  sessionTtlSeconds: number;
  /** Exact origins (`scheme://host[:port]`) besides publicUrl's own that may call with credentials. */
  allowedOrigins: ReadonlySet<string>;
  /** The origin of `publicUrl`: the hosted pages' own. */
  ownOrigin: string;
}

const PREFIX = /^(\/[A-Za-z0-9._~-]+)+$/;

/**
 * Reads `spa.*` from the loaded configuration. A bad value fails start-up with a
 * message naming the key, like every other setting.
 */
export function spaSettings(config: Config): SpaSettings {
  const s = config.spa;
  const prefix = s.prefix ?? '';
  if (prefix !== '' && !PREFIX.test(prefix)) {
    throw new ConfigError(
      'spa.prefix (LATCHKEY_SPA_PREFIX)',
      "must start with '/', not end with '/', and hold only path characters",
    );
  }
  const name = s.cookie.name;
  if (!COOKIE_NAME.test(name)) {
    throw new ConfigError('spa.cookie.name (LATCHKEY_SPA_COOKIE_NAME)', 'must be a cookie token (RFC 6265)');
  }
  // Browsers silently drop prefixed cookies that break their rules (RFC 6265bis §4.1.3):
  // better to refuse to start than to sign everyone out on every refresh.
  if ((name.startsWith('__Secure-') || name.startsWith('__Host-')) && !s.cookie.secure) {
    throw new ConfigError(
      'spa.cookie.name (LATCHKEY_SPA_COOKIE_NAME)',
      'a __Secure- or __Host- cookie needs spa.cookie.secure=true',
    );
  }
  if (name.startsWith('__Host-') && prefix !== '') {
    throw new ConfigError(
      'spa.cookie.name (LATCHKEY_SPA_COOKIE_NAME)',
      'a __Host- cookie needs Path=/, so the spa dialect must be mounted at the root (no spa.prefix)',
    );
  }
  if (s.cookie.sameSite === 'none' && !s.cookie.secure) {
    throw new ConfigError(
      'spa.cookie.sameSite (LATCHKEY_SPA_COOKIE_SAMESITE)',
      'SameSite=None needs spa.cookie.secure=true (browsers refuse it otherwise)',
    );
  }
  return {
    prefix,
    cookie: {
      name,
      path: prefix === '' ? '/' : prefix,
      secure: s.cookie.secure,
      sameSite: s.cookie.sameSite,
    },
    accessTokenTtlSeconds: s.accessTokenTtlSeconds,
    sessionTtlSeconds: s.sessionTtlSeconds,
    allowedOrigins: parseOrigins(s.allowedOrigins),
    ownOrigin: new URL(config.publicUrl).origin,
  };
}

function parseOrigins(values: readonly string[]): ReadonlySet<string> {
  const key = 'spa.allowedOrigins (LATCHKEY_SPA_ALLOWED_ORIGINS)';
  const origins = new Set<string>();
  for (const item of values) {
    let url: URL;
    try {
      url = new URL(item);
    } catch {
      throw new ConfigError(key, `'${item}' is not a URL`);
    }
    // An origin and nothing else: a path would suggest a narrower rule than the one enforced,
    // and '*' or 'null' would hand credentials to any page.
    if (
      (url.protocol !== 'https:' && url.protocol !== 'http:') ||
      url.pathname !== '/' ||
      url.search !== '' ||
      url.hash !== '' ||
      url.username !== '' ||
      url.password !== ''
    ) {
      throw new ConfigError(
        key,
        `'${item}' must be an http(s) origin such as https://app.example.com (no path, query or credentials)`,
      );
    }
    origins.add(url.origin);
  }
  return origins;
}

/** True when `origin` (an Origin header) may call the spa routes with credentials. */
export function isAllowedOrigin(settings: SpaSettings, origin: string): boolean {
  return origin === settings.ownOrigin || settings.allowedOrigins.has(origin);
}

/**
 * The URL the hosted MFA page may send its answer to, or null. Only an absolute
 * http(s) URL without credentials whose origin is publicUrl's or a listed one passes,
 * so the page is never an open redirect and never hands a sigResponse to a stranger.
 */
export function allowedReturnUrl(settings: SpaSettings, candidate: string): URL | null {
  if (candidate.length === 0 || candidate.length > 2048) return null;
  let url: URL;
  try {
    url = new URL(candidate);
  } catch {
    return null;
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') return null;
  if (url.username !== '' || url.password !== '') return null;
  if (!isAllowedOrigin(settings, url.origin)) return null;
  url.hash = '';
  return url;
}

/** Where Latchkey's own pages live: built from publicUrl (which may carry a path), never from a Host header. */
export function publicPath(config: Config, path: string): string {
  const url = new URL(config.publicUrl);
  url.pathname = `${url.pathname.replace(/\/$/, '')}${path}`;
  url.search = '';
  url.hash = '';
  return url.href;
}
