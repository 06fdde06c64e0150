import type { FastifyRequest } from 'fastify';
import type { ClientInfo } from '../session/types.js';

/** The client address (X-Forwarded-For only when a trusted proxy is configured; Fastify decides) and user agent. */
export function clientInfo(request: FastifyRequest): ClientInfo {
  const ua = request.headers['user-agent'];
  return { ip: request.ip ?? null, userAgent: typeof ua === 'string' ? ua.slice(0, 512) : null };
}
