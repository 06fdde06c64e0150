import type { onRequestHookHandler } from 'fastify';
import type { Services } from '../../../services.js';
import { LatchkeyError } from '../../../shared/errors.js';
import { cookiesOf } from '../../cookies.js';
import { crossSiteVerdict, type TrustedOrigins } from '../../cross-site.js';
import { sendRpcError } from './envelope.js';
import type { RpcMethod } from './method.js';

/**
 * CSRF defence of the rpc session cookie, the spa dialect's check (http/cross-site.ts)
 * applied to every request that carries the cookie, and to session.setCookie, which
 * sets one (login CSRF). Only publicUrl's origin is trusted: the rpc dialect answers no
 * CORS, so no page of another origin can use its answers anyway. A bearer token or the
 * `Authorization: Cookie` form is not ambient (a page must set it itself), so those
 * requests are not checked. The refusal is the envelope's 10012 Forbidden.
 */
export function crossSiteGuard(services: Services, method: RpcMethod): onRequestHookHandler {
  const trusted: TrustedOrigins = {
    ownOrigin: new URL(services.config.publicUrl).origin,
    allowedOrigins: new Set(),
  };
  const cookieName = services.config.cookie.name;
  return (request, reply, done) => {
    if (!method.setsCookie && !cookiesOf(request)[cookieName]) return done();
    if (crossSiteVerdict(trusted, request).allowed) return done();
    request.log.info(
      { origin: request.headers.origin?.slice(0, 200), site: request.headers['sec-fetch-site'] },
      'rpc: cross-site cookie request refused',
    );
    sendRpcError(reply, new LatchkeyError('forbidden', 'Cross-site request refused'));
  };
}
