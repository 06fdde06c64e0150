import type { onSendHookHandler } from 'fastify';

/**
 * The headers every answer carries, in one onSend hook (one hook fewer per request than
 * a separate onRequest for the request id): the request id, no caching unless a route
 * says otherwise (every API answer may carry a token or personal data), and the
 * content-type, referrer and framing protections.
 */
export const commonHeaders: onSendHookHandler = (request, reply, payload, done) => {
  reply.header('x-request-id', request.id);
  if (!reply.hasHeader('cache-control')) reply.header('cache-control', 'no-store');
  reply.header('x-content-type-options', 'nosniff');
  reply.header('referrer-policy', 'no-referrer');
  reply.header('x-frame-options', 'DENY');
  done(null, payload);
};
