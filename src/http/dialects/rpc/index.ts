import { type TSchema, Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import type { Services } from '../../../services.js';
import { isLatchkeyError } from '../../../shared/errors.js';
import { describe, HttpError, httpErrors, RpcErrorEnvelope, ref } from '../../openapi/components.js';
import { SECURITY } from '../../openapi/index.js';
import { handleError } from '../../server.js';
import { ACCESS_METHODS } from './access-methods.js';
import { ACCOUNT_METHODS } from './account-methods.js';
import { authenticate, authenticateCached, type Principal } from './auth.js';
import { crossSiteGuard } from './cross-site.js';
import { sendRpcError, sendRpcValidationError } from './envelope.js';
import { INVITATION_METHODS } from './invitation-methods.js';
import { type RpcMethod, SerializedAnswer } from './method.js';
import { ORG_METHODS } from './org-methods.js';
import { SESSION_METHODS } from './session-methods.js';
import { TOTP_METHODS } from './totp-methods.js';
import { USER_METHODS } from './user-methods.js';
import { validationDetails } from './validation.js';

export const RPC_METHODS: readonly RpcMethod[] = [
  ...SESSION_METHODS,
  ...USER_METHODS,
  ...ACCOUNT_METHODS,
  ...TOTP_METHODS,
  ...ORG_METHODS,
  ...ACCESS_METHODS,
  ...INVITATION_METHODS,
];

declare module 'fastify' {
  interface FastifyRequest {
    rpcPrincipal?: Principal;
  }
}

/**
 * The rpc dialect (yeep-compatible): `POST <prefix>/<ns>.<method>`, JSON in, and the
 * reference envelope out: HTTP 200 with `ok:true`, or `ok:false` plus `error{code,message}`.
 * Malformed JSON, unknown methods and wrong verbs are real HTTP errors.
 */
export async function registerRpc(app: FastifyInstance, services: Services): Promise<void> {
  // Only JSON is accepted: Fastify's built-in text/plain parser would hand a string to
  // the handlers (answered as an invalid body); every non-JSON type is a real 415 instead.
  app.removeContentTypeParser('text/plain');
  app.setErrorHandler((err, request, reply) => {
    // A store outage arrives as storage_unavailable: a real 503 with Retry-After in the
    // envelope, never a 500 and never a credential error that would make a client drop a valid session.
    if (isLatchkeyError(err)) return sendRpcError(reply, err);
    return handleError(err as Error, request, reply);
  });

  app.get(
    '/ping',
    {
      schema: {
        summary: 'Liveness of the rpc dialect',
        tags: ['rpc'],
        security: SECURITY.none,
        response: { 200: Type.Object({ ping: Type.Literal('pong') }, { additionalProperties: false }) },
      },
    },
    async () => ({ ping: 'pong' }),
  );

  for (const method of RPC_METHODS) {
    app.route({
      method: 'POST',
      url: `/${method.name}`,
      schema: {
        body: method.body,
        summary: method.summary,
        tags: ['rpc'],
        operationId: method.name,
        security: securityOf(method),
        response: responsesOf(method),
      },
      attachValidation: true,
      // Before the body is read: a cross-site request carrying the session cookie goes no further.
      onRequest: crossSiteGuard(services, method),
      // A callback hook: a token this process already verified is checked without a promise hop.
      preValidation: (request, reply, done) => {
        // Methods without arguments may be called with no body at all.
        request.body ??= {};
        // Authentication comes before validation, as in the reference: no credentials → 10000, not 400.
        if (method.auth !== 'required') return done();
        let principal: Principal | undefined;
        try {
          principal = authenticateCached(services, request);
        } catch (err) {
          return done(err as Error);
        }
        if (principal) {
          request.rpcPrincipal = principal;
          return done();
        }
        authenticate(services, request, reply).then(
          (authenticated) => {
            request.rpcPrincipal = authenticated;
            done();
          },
          (err: unknown) => done(err as Error),
        );
      },
      // Not async: a method that answers at once is sent without a promise hop.
      handler: (request, reply) => {
        if (request.validationError) {
          return sendRpcValidationError(reply, validationDetails(request.validationError.validation ?? []));
        }
        const result = method.handler({
          body: request.body as never,
          principal: request.rpcPrincipal ?? null,
          request,
          reply,
          services,
        });
        if (result instanceof Promise) return result.then((answer) => reply.send({ ok: true, ...answer }));
        if (result instanceof SerializedAnswer) {
          const fields = result.json === '{}' ? '}' : `,${result.json.slice(1)}`;
          return reply.type('application/json; charset=utf-8').send(`{"ok":true${fields}`);
        }
        return reply.send({ ok: true, ...result });
      },
    });
    // Other verbs answer 405 (HttpError); left out of the document, where only POST is listed.
    app.route({
      method: ['GET', 'PUT', 'PATCH', 'DELETE'],
      url: `/${method.name}`,
      schema: { hide: true },
      handler: async (_request, reply) =>
        reply
          .status(405)
          .header('allow', 'POST')
          .send({
            statusCode: 405,
            error: 'Method Not Allowed',
            message: `${method.name} accepts POST only`,
          }),
    });
  }
}

function securityOf(method: RpcMethod): Array<Record<string, string[]>> {
  if (method.security === 'cookie') return SECURITY.cookie;
  return method.auth === 'required' ? SECURITY.bearerOrCookie : SECURITY.none;
}

/**
 * Every status an rpc method answers: the envelope (success or error) with 200, the
 * envelope with 429 and 503 (overload; 503 also in the HTTP shape when storage fails),
 * and the HTTP-level refusals of a body that never reached the method.
 */
function responsesOf(method: RpcMethod): Record<number, TSchema> {
  const success = Type.Object(
    { ok: Type.Literal(true), ...method.response.properties },
    { additionalProperties: false, title: `${method.name} result` },
  );
  return {
    200: Type.Union([success, ref(RpcErrorEnvelope)], {
      description: 'The rpc envelope: `ok: true` with the result, or `ok: false` with `error`',
    }),
    ...httpErrors(400, 413, 415),
    429: Type.Unsafe({ ...ref(RpcErrorEnvelope), description: describe(429) }),
    500: Type.Unsafe({ ...ref(HttpError), description: describe(500) }),
    503: Type.Union([ref(RpcErrorEnvelope), ref(HttpError)], { description: describe(503) }),
  };
}
