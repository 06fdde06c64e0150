import type { CookieSerializeOptions } from '@fastify/cookie';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { SpaSettings } from '../../../config/spa.js';
import { cookiesOf } from '../../cookies.js';

/** `<credential id>.<secret>`: 24 hex, a dot, 43 base64url characters (256 bits). */
const REFRESH_TOKEN = /^([0-9a-f]{24})\.([A-Za-z0-9_-]{43})$/;

/** The refresh cookie's attributes; clearing uses the very same ones so the browser really drops it. */
function attributes(settings: SpaSettings): CookieSerializeOptions {
  return {
    path: settings.cookie.path,
    httpOnly: true,
    secure: settings.cookie.secure,
    sameSite: settings.cookie.sameSite,
  };
}

export function setRefreshCookie(
  reply: FastifyReply,
  settings: SpaSettings,
  value: string,
  maxAgeSeconds: number,
): void {
  // Max-Age (relative) rather than Expires: a client's clock does not shorten or stretch it.
  reply.setCookie(settings.cookie.name, value, {
    ...attributes(settings),
    maxAge: Math.max(0, Math.floor(maxAgeSeconds)),
  });
}

export function clearRefreshCookie(reply: FastifyReply, settings: SpaSettings): void {
  reply.setCookie(settings.cookie.name, '', { ...attributes(settings), maxAge: 0, expires: new Date(0) });
}

export type PresentedRefresh = { credentialId: string; secret: string } | 'missing' | 'malformed';

export function presentedRefresh(request: FastifyRequest, settings: SpaSettings): PresentedRefresh {
  const value = cookiesOf(request)[settings.cookie.name];
  if (value === undefined || value === '') return 'missing';
  const match = REFRESH_TOKEN.exec(value);
  return match ? { credentialId: match[1]!, secret: match[2]! } : 'malformed';
}
