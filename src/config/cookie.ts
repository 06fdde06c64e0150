import type { Config } from './config.js';
import { ConfigError } from './load.js';

/** RFC 6265 token characters: a cookie name that needs no quoting anywhere (both dialects' cookies). */
export const COOKIE_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]{1,128}$/;
// RFC 6265 §4.1.1 attribute values: printable ASCII but ';' (no space, no control character).
const ATTRIBUTE_VALUE = /^[\x21-\x3A\x3C-\x7E]+$/;

/**
 * Refuses an rpc session cookie that could never work, at start-up rather than at the
 * first sign-in: a name the cookie serialiser rejects (every session.setCookie would be
 * a 500), and settings browsers silently drop the cookie for (RFC 6265bis §4.1.3:
 * SameSite=None without Secure; `__Secure-`/`__Host-` without Secure; `__Host-` with a
 * Domain or a Path other than `/`). The spa refresh cookie is checked alike in spa.ts.
 */
export function checkSessionCookie(config: Config): void {
  const c = config.cookie;
  if (!COOKIE_NAME.test(c.name)) {
    throw new ConfigError('cookie.name (LATCHKEY_COOKIE_NAME)', 'must be a cookie token (RFC 6265)');
  }
  if (!c.path.startsWith('/')) {
    throw new ConfigError('cookie.path (LATCHKEY_COOKIE_PATH)', "must start with '/'");
  }
  if (!ATTRIBUTE_VALUE.test(c.path)) {
    throw new ConfigError(
      'cookie.path (LATCHKEY_COOKIE_PATH)',
      "must be printable ASCII without ';' or spaces (RFC 6265)",
    );
  }
  if (c.domain !== null && !ATTRIBUTE_VALUE.test(c.domain)) {
    throw new ConfigError(
      'cookie.domain (LATCHKEY_COOKIE_DOMAIN)',
      "must be printable ASCII without ';' or spaces (RFC 6265)",
    );
  }
  if (c.sameSite === 'none' && !c.secure) {
    throw new ConfigError(
      'cookie.sameSite (LATCHKEY_COOKIE_SAMESITE)',
      'SameSite=None needs cookie.secure=true (browsers refuse it otherwise)',
    );
  }
  if ((c.name.startsWith('__Secure-') || c.name.startsWith('__Host-')) && !c.secure) {
    throw new ConfigError(
      'cookie.name (LATCHKEY_COOKIE_NAME)',
      'a __Secure- or __Host- cookie needs cookie.secure=true',
    );
  }
  if (c.name.startsWith('__Host-') && (c.path !== '/' || c.domain !== null)) {
    throw new ConfigError(
      'cookie.name (LATCHKEY_COOKIE_NAME)',
      'a __Host- cookie needs cookie.path=/ and no cookie.domain',
    );
  }
}
