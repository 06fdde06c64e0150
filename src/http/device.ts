import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Services } from '../services.js';
import { DEVICE_COOKIE, DEVICE_HEADER } from '../throttle/index.js';
import { clientInfo } from './client.js';

/**
 * After a completed sign-in: hands the client a device token of the account (OWASP's
 * device cookie), so its password allowance there stays its own (docs/deploy.md, "Sign-in
 * throttling"). Always as the `Latchkey-Device` response header, which every dialect's
 * clients ignore unless they want it; as an http-only cookie too where the dialect is a
 * browser's (`cookie`, with that dialect's cookie attributes), scoped to the whole site so every sign-in route receives it.
 */
export async function rememberDevice(
  services: Services,
  request: FastifyRequest,
  reply: FastifyReply,
  signedIn: { appId: string; userId: string },
  options: { cookie: { secure: boolean; sameSite: 'strict' | 'lax' | 'none' } | null },
): Promise<void> {
  const token = await services.signIn.rememberDevice(signedIn.appId, signedIn.userId, clientInfo(request));
  reply.header(DEVICE_HEADER, token);
  if (!options.cookie) return;
  const maxAge = services.config.throttle.deviceTtlSeconds;
  // The dialect's own cookie attributes, so it travels wherever that dialect's session cookie does.
  reply.setCookie(DEVICE_COOKIE, token, {
    path: '/',
    httpOnly: true,
    secure: options.cookie.secure,
    sameSite: options.cookie.sameSite,
    maxAge,
    expires: new Date(services.clock.now() + maxAge * 1000),
  });
}
