import type { Static, TObject, TSchema } from '@sinclair/typebox';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Access } from '../../../identity/access.js';
import type { Services } from '../../../services.js';
import type { Principal } from './auth.js';

export type RpcAuth = 'public' | 'required';

export interface RpcContext<B> {
  body: B;
  /** Set for methods with auth 'required'. */
  principal: Principal | null;
  request: FastifyRequest;
  reply: FastifyReply;
  services: Services;
}

export interface RpcMethod<S extends TSchema = TSchema> {
  /** `<ns>.<method>`, as in the URL. */
  name: string;
  auth: RpcAuth;
  body: S;
  /** The success fields (the answer is `{ok: true, ...response}`); documented and checked by the contract tests. */
  response: TObject;
  /**
   * The credentials it takes, for the API description: by default none for public
   * methods and a bearer token or the session cookie for authenticated ones.
   */
  security?: 'cookie';
  /** Sets the session cookie without needing one (session.setCookie): checked against cross-site calls like the cookie's users. */
  setsCookie?: true;
  summary: string;
  /** Async as a rule; a method may answer its common case at once (user.info from the caches). */
  handler: (
    ctx: RpcContext<Static<S>>,
  ) => Promise<Record<string, unknown>> | Record<string, unknown> | SerializedAnswer;
}

/**
 * A method's success fields already serialised (a JSON object): the token check's answer
 * is the same text for as long as the user and their memberships stay the same, so it is
 * kept as text instead of being built and serialised on every request.
 */
export class SerializedAnswer {
  constructor(readonly json: string) {}
}

/** Checks each method's handler against its own body schema, then erases the type for the registry. */
export function rpcMethod<S extends TSchema>(method: RpcMethod<S>): RpcMethod {
  return method as unknown as RpcMethod;
}

/** The principal of an authenticated method (the framework guarantees it). */
export function principalOf(ctx: RpcContext<unknown>): Principal {
  if (!ctx.principal) throw new Error('authenticated method called without a principal');
  return ctx.principal;
}

/** The caller's permissions, read from storage now (never from the token). */
export function callerAccess(ctx: RpcContext<unknown>): Promise<Access> {
  return ctx.services.authz.accessOf(ctx.services.defaultApp.id, principalOf(ctx).userId);
}
