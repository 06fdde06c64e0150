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
    expires: new Date(sessionExpiresAtMs),
  });
}

export function clearSessionCookie(services: Services, reply: FastifyReply): void {
  reply.setCookie(services.config.cookie.name, '', {
    ...attributes(services),
    expires: new Date(0),
    maxAge: 0,
  });
}
