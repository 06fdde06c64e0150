import type { CookieSerializeOptions } from '@fastify/cookie';
import type { FastifyReply } from 'fastify';
import type { Services } from '../../../services.js';

/** The session cookie's attributes; clearing uses the very same ones so the browser really drops it. */
function attributes(services: Services): CookieSerializeOptions {
  const c = services.config.cookie;
  const options: CookieSerializeOptions = {
    path: c.path,
    httpOnly: true,
    secure: c.secure,
    sameSite: c.sameSite,
  };
  if (c.domain) options.domain = c.domain;
  return options;
}

export function setSessionCookie(
  services: Services,
  reply: FastifyReply,
  value: string,
  sessionExpiresAtMs: number,
): void {
  reply.setCookie(services.config.cookie.name, value, {
    ...attributes(services),
    // Expires as the reference sends it; Max-Age beside it, which browsers prefer, so a
    // client whose clock is off keeps the cookie exactly as long as the session lives.
    expires: new Date(sessionExpiresAtMs),
    maxAge: Math.max(0, Math.floor((sessionExpiresAtMs - services.clock.now()) / 1000)),
  });
}

export function clearSessionCookie(services: Services, reply: FastifyReply): void {
  reply.setCookie(services.config.cookie.name, '', {
    ...attributes(services),
    expires: new Date(0),
    maxAge: 0,
  });
}
