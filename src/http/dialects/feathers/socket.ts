import type { IncomingMessage } from 'node:http';
import proxyAddr from '@fastify/proxy-addr';
import type { Static } from '@sinclair/typebox';
import { TypeCompiler } from '@sinclair/typebox/compiler';
import type { FastifyBaseLogger, FastifyInstance } from 'fastify';
import { Server, type Socket } from 'socket.io';
import type { FeathersSettings } from '../../../config/feathers.js';
import type { Services } from '../../../services.js';
import { newId } from '../../../shared/ids.js';
import { type Caller, createAuthentication, removeAuthentication } from './authentication.js';
import { FeathersHttpError, feathersBody, toFeathersError } from './errors.js';
import { AuthenticationBody } from './schemas.js';

/**
 * The feathers dialect over socket.io, for `@feathersjs/socketio-client`: the client emits
 * `<method>(path, …args, callback)` and is answered `callback(error, result)`, errors in
 * Feathers' shape. Only the `authentication` service exists, with the very functions of
 * `POST|DELETE /authentication`: `create` (local, jwt) binds the socket to its token,
 * `remove` signs it out. When the session of a bound socket is revoked (a sign-out
 * elsewhere, an admin, a password reset, on any node), the socket is told at once with
 * the service event `authentication removed` and is no longer authenticated.
 */

const SERVICE = 'authentication';
/** The arguments of each Feathers service method after the path, before the callback. */
const METHODS = ['find', 'get', 'create', 'update', 'patch', 'remove'] as const;
type Method = (typeof METHODS)[number];

const authenticationBody = TypeCompiler.Compile(AuthenticationBody);

interface Binding {
  token: string;
  sessionId: string;
}

type Callback = (error: unknown, result?: unknown) => void;

/** The Feathers error a socket callback receives: the REST body, with Retry-After in `data`. */
function errorBody(err: FeathersHttpError): Record<string, unknown> {
  const retry = err.extra.retryAfterSeconds;
  const data = retry ? { ...err.extra.data, retryAfterSeconds: retry } : err.extra.data;
  return feathersBody(err.status, err.message, {
    ...(data ? { data } : {}),
    ...(err.extra.errors ? { errors: err.extra.errors } : {}),
  }) as unknown as Record<string, unknown>;
}

/** The socket's address: X-Forwarded-For of the handshake only through a trusted proxy, as Fastify does. */
function addressOf(request: IncomingMessage, trustProxy: string | null): string | null {
  if (trustProxy === null) return request.socket.remoteAddress ?? null;
  const trusted = proxyAddr.compile(trustProxy.split(',').map((value) => value.trim()));
  return proxyAddr(request, trusted);
}

/**
 * Like the REST routes, which send no CORS headers: a browser page may connect only from
 * Latchkey's own origin (publicUrl's, or the one it reached the server at). Clients that
 * are not browsers send no Origin and are let in.
 */
function sameOrigin(request: IncomingMessage, publicUrl: string): boolean {
  const origin = request.headers.origin;
  if (origin === undefined) return true;
  const host = request.headers.host;
  return (
    origin === new URL(publicUrl).origin ||
    (host !== undefined && (origin === `http://${host}` || origin === `https://${host}`))
  );
}

export function registerFeathersSocket(
  app: FastifyInstance,
  services: Services,
  settings: FeathersSettings,
  log: FastifyBaseLogger,
): void {
  const { config } = services;
  const io = new Server(app.server, {
    path: `${settings.prefix}/socket.io/`,
    serveClient: false,
    // Not a browser API on other origins: no CORS headers, and other origins are refused.
    allowRequest: (request, callback) => callback(null, sameOrigin(request, config.publicUrl)),
    maxHttpBufferSize: config.bodyLimitBytes,
  });
  const bySession = new Map<string, Set<Socket>>();
  const bindings = new WeakMap<Socket, Binding>();

  const unbind = (socket: Socket) => {
    const binding = bindings.get(socket);
    if (!binding) return;
    bindings.delete(socket);
    const sockets = bySession.get(binding.sessionId);
    sockets?.delete(socket);
    if (sockets?.size === 0) bySession.delete(binding.sessionId);
  };
  const bind = (socket: Socket, token: string, sessionId: string) => {
    unbind(socket);
    bindings.set(socket, { token, sessionId });
    const sockets = bySession.get(sessionId) ?? new Set<Socket>();
    sockets.add(socket);
    bySession.set(sessionId, sockets);
  };

  const stopListening = services.sessions.onRevoked((sessionId, revokedAt) => {
    // A revocation scheduled for later (a pending deactivation) is refused when the socket next calls.
    if (revokedAt > services.clock.now()) return;
    for (const socket of [...(bySession.get(sessionId) ?? [])]) {
      const token = bindings.get(socket)?.token;
      unbind(socket);
      socket.emit(`${SERVICE} removed`, { accessToken: token, reason: 'session revoked' });
    }
  });

  io.on('connection', (socket) => {
    const request = socket.request;
    const ua = request.headers['user-agent'];
    const client = {
      ip: addressOf(request, config.trustProxy),
      userAgent: typeof ua === 'string' ? ua.slice(0, 512) : null,
    };
    const callerOf = (): Caller => ({
      client,
      context: { requestId: newId(), ...client, dialect: 'feathers' },
    });

    const call = async (method: Method, path: unknown, args: unknown[]): Promise<unknown> => {
      if (typeof path !== 'string') throw new FeathersHttpError(400, 'The service path must be a string');
      const name = path.replace(/^\/+|\/+$/g, '');
      if (name !== SERVICE) throw new FeathersHttpError(404, `Service '${name}' not found`);
      if (method === 'create') {
        const data = args[0] ?? {};
        if (typeof data !== 'object' || Array.isArray(data) || !authenticationBody.Check(data)) {
          const errors: Record<string, string> = {};
          if (typeof data === 'object' && data !== null && !Array.isArray(data)) {
            for (const error of authenticationBody.Errors(data)) {
              errors[error.path.replace(/^\//, '').replace(/\//g, '.') || 'data'] = error.message;
            }
          } else errors['data'] = 'must be object';
          throw new FeathersHttpError(400, 'Invalid authentication data', { errors });
        }
        const answer = await createAuthentication(
          services,
          settings,
          callerOf(),
          data as Static<typeof AuthenticationBody>,
        );
        const sessionId = answer.authentication.payload.sid;
        bind(socket, answer.accessToken, sessionId);
        // Revoked while it was being checked: the event has gone by, so the socket is not kept.
        if (services.sessions.isRevoked(sessionId)) {
          unbind(socket);
          throw new FeathersHttpError(401, 'Invalid access token');
        }
        return answer;
      }
      if (method === 'remove') {
        const id = args[0];
        if (id !== null && id !== undefined && typeof id !== 'string') {
          throw new FeathersHttpError(401, 'Invalid access token');
        }
        const answer = await removeAuthentication(
          services,
          callerOf(),
          bindings.get(socket)?.token ?? null,
          id,
        );
        unbind(socket);
        return answer;
      }
      throw new FeathersHttpError(405, `Method \`${method}\` is not supported by this endpoint.`);
    };

    for (const method of METHODS) {
      socket.on(method, (path: unknown, ...rest: unknown[]) => {
        const callback = rest.at(-1);
        // Without a callback there is no one to answer: nothing is done.
        if (typeof callback !== 'function') return;
        const args = rest.slice(0, -1);
        call(method, path, args).then(
          (result) => (callback as Callback)(null, result),
          (err: unknown) => (callback as Callback)(errorBody(toFeathersError(err, { log }))),
        );
      });
    }
    socket.on('disconnect', () => unbind(socket));
  });

  // Before the HTTP server closes: it would wait for the upgraded connections otherwise.
  app.addHook('preClose', async () => {
    stopListening();
    io.disconnectSockets(true);
    io.engine.close();
  });
}
