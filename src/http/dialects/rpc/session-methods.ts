import type { User } from '../../../identity/types.js';
import type { Services } from '../../../services.js';
import { isLatchkeyError, LatchkeyError } from '../../../shared/errors.js';
import type { RequestContext } from '../../../shared/request-context.js';
import { clientInfo, contextOf } from '../../client.js';
import { rememberDevice } from '../../device.js';
import { presentedCredential } from './auth.js';
import { clearSessionCookie, setSessionCookie } from './cookie.js';
import { type RpcContext, rpcMethod } from './method.js';
import { RESPONSES } from './responses.js';
import { EmptyBody, SignInBody, TokenBody } from './schemas.js';
import { issueRpcToken, RPC_KIND, type RpcTransport, rpcAudience, userForRefresh } from './tokens.js';

type SignIn = RpcContext<{
  user: string;
  password: string;
  projection?: { profile?: boolean; permissions?: boolean };
  secondaryAuthFactor?: { type: string; token: string };
}>;

/** The shared sign-in of issueToken and setCookie: the core's one flow (password, then MFA), then a new session. */
async function signIn(ctx: SignIn, transport: RpcTransport) {
  const { services, body } = ctx;
  const app = services.defaultApp;
  // The reference's retry: without a factor an MFA user gets 10034 and sends the request again with one.
  const { user, amr } = await services.signIn.signIn({
    appId: app.id,
    login: body.user,
    password: body.password,
    client: clientInfo(ctx.request),
    secondFactor: body.secondaryAuthFactor,
    context: contextOf(ctx.request, services.config),
  });
  // A bearer client takes the header if it wants it; a browser (the cookie transport) gets the cookie too.
  await rememberDevice(
    services,
    ctx.request,
    ctx.reply,
    { appId: app.id, userId: user.id },
    { cookie: transport === 'cookie' ? services.config.cookie : null },
  );
  const projection = {
    profile: body.projection?.profile === true,
    permissions: body.projection?.permissions === true,
  };
  let issued: Awaited<ReturnType<typeof issueRpcToken>> | null = null;
  const { session, value } = await services.sessions.start(
    {
      appId: app.id,
      userId: user.id,
      kind: 'rpc',
      data: { transport, projection },
      amr,
      client: clientInfo(ctx.request),
      userDeactivatesAt: user.deactivatedAt,
    },
    async (credentialId, s) => {
      issued = await issueRpcToken(services, credentialId, s, user);
      return issued;
    },
  );
  return { session, value, issued: issued! };
}

/** Verifies a presented rpc token (expired ones too) and returns its credential id. */
async function credentialOf(services: Services, token: string, transport: RpcTransport): Promise<string> {
  const verified = await services.tokens.verify(token, [RPC_KIND[transport]], {
    audience: rpcAudience(services),
    acceptExpiredForMs: services.config.sessionTtlSeconds * 1000,
  });
  const jti = verified.claims.jti;
  if (typeof jti !== 'string' || typeof verified.claims['sid'] !== 'string') {
    throw new LatchkeyError('token_invalid', 'Invalid session token; cannot be verified');
  }
  return jti;
}

async function refresh(services: Services, credentialId: string, context: RequestContext) {
  let user: User | null = null;
  let claimsUser: Record<string, unknown> | null = null;
  const outcome = await services.sessions.refresh(
    credentialId,
    undefined,
    async (id, session) => {
      user ??= await userForRefresh(services, session);
      const issued = await issueRpcToken(services, id, session, user);
      claimsUser = issued.claimsUser;
      return issued;
    },
    {
      beforeRotate: async (session) => {
        user = await userForRefresh(services, session);
      },
      context,
    },
  );
  // The successor's expiry and user claim are read back from the token itself, so a
  // request that received another request's successor (grace window) answers identically.
  const verified = await services.tokens.verify(outcome.value, [RPC_KIND.token, RPC_KIND.cookie], {
    audience: rpcAudience(services),
  });
  return {
    outcome,
    expiresAt: new Date(verified.expiresAtMs).toISOString(),
    user: (verified.claims['user'] as Record<string, unknown> | undefined) ?? claimsUser ?? {},
  };
}

/** The cookie, read from the Cookie header (or the seed's `Authorization: Cookie …`). */
function cookieToken(ctx: RpcContext<unknown>): string {
  let presented: ReturnType<typeof presentedCredential> = null;
  try {
    presented = presentedCredential(ctx.request, ctx.services.config.cookie.name);
  } catch {
    // An Authorization header of another scheme (or without our cookie) is no cookie either.
  }
  if (presented?.via !== 'cookie') {
    throw new LatchkeyError('unauthenticated', 'Session cookie not specified', { rpcCode: 401 });
  }
  return presented.token;
}

export const SESSION_METHODS = [
  rpcMethod({
    name: 'session.issueToken',
    response: RESPONSES.token,
    auth: 'public',
    body: SignInBody,
    summary: 'Sign in and receive a session token',
    handler: async (ctx) => {
      const { issued } = await signIn(ctx, 'token');
      return { token: issued.value, expiresAt: new Date(issued.expiresAtMs).toISOString() };
    },
  }),
  rpcMethod({
    name: 'session.setCookie',
    response: RESPONSES.sessionUser,
    auth: 'public',
    setsCookie: true,
    body: SignInBody,
    summary: 'Sign in and receive the session cookie',
    handler: async (ctx) => {
      const { session, issued } = await signIn(ctx, 'cookie');
      setSessionCookie(ctx.services, ctx.reply, issued.value, session.expiresAt);
      return { user: issued.claimsUser };
    },
  }),
  rpcMethod({
    name: 'session.refreshToken',
    response: RESPONSES.token,
    auth: 'public',
    body: TokenBody,
    summary: 'Exchange a (possibly expired) session token for a new one',
    handler: async (ctx) => {
      const credentialId = await credentialOf(ctx.services, ctx.body.token, 'token');
      const { outcome, expiresAt } = await refresh(
        ctx.services,
        credentialId,
        contextOf(ctx.request, ctx.services.config),
      );
      return { token: outcome.value, expiresAt };
    },
  }),
  rpcMethod({
    name: 'session.refreshCookie',
    response: RESPONSES.sessionUser,
    security: 'cookie',
    auth: 'public',
    body: EmptyBody,
    summary: 'Renew the session cookie',
    handler: async (ctx) => {
      const credentialId = await credentialOf(ctx.services, cookieToken(ctx), 'cookie').catch(
        (err: unknown) => {
          if (isLatchkeyError(err) && err.code === 'token_invalid')
            clearSessionCookie(ctx.services, ctx.reply);
          throw err;
        },
      );
      const { outcome, user } = await refresh(
        ctx.services,
        credentialId,
        contextOf(ctx.request, ctx.services.config),
      );
      setSessionCookie(ctx.services, ctx.reply, outcome.value, outcome.session.expiresAt);
      return { user };
    },
  }),
  rpcMethod({
    name: 'session.destroyToken',
    response: RESPONSES.nothing,
    auth: 'public',
    body: TokenBody,
    summary: 'Sign out: revoke the session behind a token',
    handler: async (ctx) => {
      await destroy(
        ctx.services,
        await credentialOf(ctx.services, ctx.body.token, 'token'),
        contextOf(ctx.request, ctx.services.config),
      );
      return {};
    },
  }),
  rpcMethod({
    name: 'session.destroyCookie',
    response: RESPONSES.nothing,
    security: 'cookie',
    auth: 'public',
    body: EmptyBody,
    summary: 'Sign out: revoke the session behind the cookie and clear it',
    handler: async (ctx) => {
      const token = cookieToken(ctx);
      clearSessionCookie(ctx.services, ctx.reply);
      await destroy(
        ctx.services,
        await credentialOf(ctx.services, token, 'cookie'),
        contextOf(ctx.request, ctx.services.config),
      );
      return {};
    },
  }),
];

/** Revokes the session behind a credential; idempotent (an already-ended session is fine). */
async function destroy(services: Services, credentialId: string, context: RequestContext): Promise<void> {
  const credential = await services.repos.sessions.findCredential(credentialId);
  if (credential) await services.sessions.revoke(credential.sessionId, 'sign_out', { context });
}
