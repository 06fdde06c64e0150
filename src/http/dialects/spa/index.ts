import { type TSchema, Type } from '@sinclair/typebox';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { isAllowedOrigin, publicPath, type SpaSettings, spaSettings } from '../../../config/spa.js';
import type { Services } from '../../../services.js';
import { isLatchkeyError } from '../../../shared/errors.js';
import type { SpaOutcome } from '../../../spa/index.js';
import { clientInfo, contextOf } from '../../client.js';
import { corsHeaders, crossSiteVerdict, isJsonOrEmpty, varyOnOrigin } from '../../cross-site.js';
import { rememberDevice } from '../../device.js';
import { HTTP_STATUS } from '../../errors.js';
import { SECURITY } from '../../openapi/index.js';
import { clearRefreshCookie, presentedRefresh, setRefreshCookie } from './cookie.js';
import {
  AccessToken,
  AliasBody,
  COMMON,
  LoginBody,
  Message,
  PREFLIGHT_RESPONSES,
  SIGN_IN_RESPONSES,
  TokenBody,
  ValidationErrors,
  VerifyBody,
} from './schemas.js';
import { issueAccessToken, refreshCredential, startSession, userForRefresh } from './tokens.js';
import {
  checkFields,
  type FieldRule,
  MESSAGES,
  SpaHttpError,
  sendFieldErrors,
  sendMessage,
  stringField,
} from './wire.js';

/** The path of the hosted MFA page (see http/pages). */
export const MFA_PAGE_PATH = '/mfa/challenge';

declare module 'fastify' {
  interface FastifyRequest {
    /** The allowed foreign origin of an spa request, answered with CORS headers. */
    spaCorsOrigin?: string | null;
  }
}

const TAGS = ['spa'];

const LOGIN_RULES: readonly FieldRule[] = [
  { name: 'email', msg: 'Email must be filled in.', maxLength: 320 },
  { name: 'password', msg: 'Password must be filled in.', maxLength: 4096, secret: true },
];

const ALIAS_RULES: readonly FieldRule[] = [
  { name: 'userName', msg: 'User name must be filled in.', maxLength: 400 },
  { name: 'password', msg: 'Password must be filled in.', maxLength: 4096, secret: true },
  { name: 'surveyId', msg: 'Survey must be selected.', maxLength: 64 },
];

/** Domain errors that mean "this sign-in failed": all answered alike, so none tells why. */
const SIGN_IN_FAILURES = new Set([
  'invalid_credentials',
  'user_not_activated',
  'user_deactivated',
  'user_not_found',
  'auth_factor_invalid',
  'auth_factor_not_found',
  'auth_factor_required',
  'token_invalid',
  'token_expired',
  'session_not_found',
  'unauthenticated',
]);

/**
 * The spa dialect (intake24-compatible, seed 003): `POST /login`, `/login/alias`,
 * `/login/token`, `/login/verify`, `/refresh` and `/logout`, under a configurable
 * prefix. Sign-ins answer a short-lived access token and set an HttpOnly refresh
 * cookie; an MFA user gets only a signed challenge for the hosted MFA page. Errors
 * are `{message}` (422 with express-validator's shape for bad sign-in input).
 */
export async function registerSpa(app: FastifyInstance, services: Services): Promise<void> {
  const settings = spaSettings(services.config);
  const mfaHost = publicPath(services.config, MFA_PAGE_PATH);
  const servedApp = services.defaultApp;

  app.removeContentTypeParser('text/plain');
  app.setErrorHandler((err, request, reply) => sendMessage(reply, toSpaError(err, request)));

  app.addHook('onRequest', async (request, reply) => {
    varyOnOrigin(reply);
    if (request.method !== 'POST') return;
    const verdict = crossSiteVerdict(settings, request);
    if (!verdict.allowed || !isJsonOrEmpty(request)) {
      request.log.info(
        { origin: request.headers.origin?.slice(0, 200), site: request.headers['sec-fetch-site'] },
        'spa: cross-site or non-JSON request refused',
      );
      sendMessage(reply, new SpaHttpError(403, MESSAGES.crossSite));
      return reply;
    }
    request.spaCorsOrigin = verdict.corsOrigin;
  });
  app.addHook('onSend', async (request, reply, payload) => {
    if (request.spaCorsOrigin) corsHeaders(reply, request.spaCorsOrigin);
    return payload;
  });

  /** A POST route, its CORS preflight, and 405 for other verbs. */
  const route = (
    url: string,
    schema: { summary: string; description?: string; body?: TSchema; response: Record<number, TSchema> },
    handler: (request: FastifyRequest, reply: FastifyReply) => Promise<unknown>,
    security = SECURITY.none,
  ) => {
    app.post(url, { schema: { ...schema, tags: TAGS, security }, attachValidation: true }, handler);
    app.options(
      url,
      {
        schema: {
          summary: `CORS preflight of ${url}`,
          tags: TAGS,
          security: SECURITY.none,
          response: PREFLIGHT_RESPONSES,
        },
      },
      async (request, reply) => preflight(settings, request, reply),
    );
    app.route({
      method: ['GET', 'PUT', 'PATCH', 'DELETE'],
      url,
      schema: { hide: true },
      handler: async (_request, reply) =>
        reply
          .status(405)
          .header('allow', 'POST, OPTIONS')
          .send({ statusCode: 405, error: 'Method Not Allowed', message: `${url} accepts POST only` }),
    });
  };

  /** Completes a sign-in on the wire: a challenge only, or a session with its cookie and access token. */
  const answer = async (request: FastifyRequest, reply: FastifyReply, outcome: SpaOutcome) => {
    if (outcome.kind === 'challenge') {
      return reply.send({ mfa: { request: outcome.request, host: mfaHost } });
    }
    const started = await startSession(services, settings, outcome.grant, clientInfo(request));
    await rememberDevice(
      services,
      request,
      reply,
      { appId: outcome.grant.user.appId, userId: outcome.grant.user.id },
      { cookie: settings.cookie },
    );
    setRefreshCookie(
      reply,
      settings,
      started.refreshToken,
      (started.session.expiresAt - services.clock.now()) / 1000,
    );
    return reply.send({ accessToken: started.accessToken });
  };

  route(
    '/login',
    {
      summary: 'Sign in with email and password',
      description:
        'For a user with MFA the password is checked first, then only `{mfa: {request, host}}` is answered: no token, no cookie.',
      body: LoginBody,
      response: { ...SIGN_IN_RESPONSES, 422: ValidationResponse() },
    },
    async (request, reply) => {
      const { errors, values } = checkFields(request.body, LOGIN_RULES);
      if (errors) return sendFieldErrors(reply, errors);
      const outcome = await signInFailures(
        services.spa.signIn.password(servedApp, {
          email: values['email']!,
          password: values['password']!,
          client: clientInfo(request),
          context: contextOf(request, services.config),
        }),
      );
      return answer(request, reply, outcome);
    },
  );

  route(
    '/login/alias',
    {
      summary: 'Sign in with a survey alias (user name in one survey) and password',
      description:
        'The access token names the survey (`survey` claim); the alias signs in for that survey only.',
      body: AliasBody,
      response: { ...SIGN_IN_RESPONSES, 422: ValidationResponse() },
    },
    async (request, reply) => {
      const { errors, values } = checkFields(request.body, ALIAS_RULES);
      if (errors) return sendFieldErrors(reply, errors);
      const outcome = await signInFailures(
        services.spa.signIn.alias(servedApp, {
          userName: values['userName']!,
          password: values['password']!,
          surveyId: values['surveyId']!,
          client: clientInfo(request),
          context: contextOf(request, services.config),
        }),
      );
      return answer(request, reply, outcome);
    },
  );

  route(
    '/login/token',
    {
      summary: 'Sign in with a login-link token',
      description: 'A missing, unknown, revoked or expired token is the same 401.',
      body: TokenBody,
      response: SIGN_IN_RESPONSES,
    },
    async (request, reply) => {
      const token = stringField(request.body, 'token', 512);
      if (token === null) throw new SpaHttpError(401, MESSAGES.credentials);
      const outcome = await signInFailures(
        services.spa.signIn.loginLink(servedApp, {
          token,
          client: clientInfo(request),
          context: contextOf(request, services.config),
        }),
      );
      return answer(request, reply, outcome);
    },
  );

  route(
    '/login/verify',
    {
      summary: 'Complete an MFA sign-in with the hosted page’s sigResponse',
      description: 'A sigResponse works once, within two minutes, for the sign-in it answers.',
      body: VerifyBody,
      response: {
        200: AccessToken,
        401: Type401('Invalid Authorization: a missing, forged, expired or used sigResponse'),
        ...COMMON,
      },
    },
    async (request, reply) => {
      const sigResponse = stringField(request.body, 'sigResponse', 16384);
      if (sigResponse === null) throw new SpaHttpError(401, MESSAGES.verify);
      const grant = await services.spa.signIn.verify(servedApp, sigResponse).catch((err: unknown) => {
        if (isLatchkeyError(err) && SIGN_IN_FAILURES.has(err.code))
          throw new SpaHttpError(401, MESSAGES.verify);
        throw err;
      });
      return answer(request, reply, { kind: 'granted', grant });
    },
  );

  route(
    '/refresh',
    {
      summary: 'A new access token for the refresh cookie, which is rotated',
      description: `Reads the \`${settings.cookie.name}\` cookie. Concurrent refreshes of one cookie within the grace window all get the same successor; a rotated cookie replayed after it revokes the session.`,
      response: {
        200: AccessToken,
        401: Type401('Missing, invalid, expired or revoked refresh cookie'),
        ...COMMON,
      },
    },
    async (request, reply) => {
      const presented = presentedRefresh(request, settings);
      if (presented === 'missing') throw new SpaHttpError(401, MESSAGES.unauthorized);
      if (presented === 'malformed') {
        clearRefreshCookie(reply, settings);
        throw new SpaHttpError(401, MESSAGES.unauthorized);
      }
      let user: Awaited<ReturnType<typeof userForRefresh>> | null = null;
      const outcome = await services.sessions
        .refresh(
          presented.credentialId,
          presented.secret,
          async (credentialId) => refreshCredential(credentialId),
          {
            beforeRotate: async (session) => {
              user = await userForRefresh(services, session);
            },
            context: contextOf(request, services.config),
          },
        )
        .catch((err: unknown) => {
          if (isLatchkeyError(err) && SIGN_IN_FAILURES.has(err.code)) {
            // The cookie is dead (unknown, revoked, reused after the grace window): drop it.
            clearRefreshCookie(reply, settings);
            throw new SpaHttpError(401, MESSAGES.unauthorized);
          }
          throw err;
        });
      // Within the grace window the successor came from another request: check the user here.
      try {
        user ??= await userForRefresh(services, outcome.session);
      } catch (err) {
        if (isLatchkeyError(err) && SIGN_IN_FAILURES.has(err.code)) {
          clearRefreshCookie(reply, settings);
          throw new SpaHttpError(401, MESSAGES.unauthorized);
        }
        throw err;
      }
      const accessToken = await issueAccessToken(services, settings, outcome.session, user);
      setRefreshCookie(
        reply,
        settings,
        outcome.value,
        (outcome.session.expiresAt - services.clock.now()) / 1000,
      );
      return reply.send({ accessToken });
    },
    SECURITY.refreshCookie,
  );

  route(
    '/logout',
    {
      summary: 'Sign out: revoke the session behind the refresh cookie and clear it',
      description: 'Always 200 with an empty body, with or without a (valid) cookie.',
      response: { 200: Type200Empty(), ...COMMON },
    },
    async (request, reply) => {
      const presented = presentedRefresh(request, settings);
      if (typeof presented === 'object') {
        // Any credential of the session (a rotated one too) with its secret identifies it.
        const found = await services.sessions
          .sessionForCredential(presented.credentialId, presented.secret)
          .catch((err: unknown) => {
            if (isLatchkeyError(err) && err.code === 'session_not_found') return null;
            throw err;
          });
        if (found && found.session.kind === 'spa')
          await services.sessions.revoke(found.session.id, 'sign_out', {
            context: contextOf(request, services.config),
          });
      }
      clearRefreshCookie(reply, settings);
      return reply.status(200).send();
    },
    // The cookie is optional here: sign-out answers alike without one.
    [...SECURITY.refreshCookie, {}],
  );
}

function ValidationResponse(): TSchema {
  return Type.Unsafe({ ...ValidationErrors, description: 'Bad input: express-validator’s mapped errors' });
}

function Type401(description: string): TSchema {
  return Type.Unsafe({ ...Message, description });
}

/** `type: null`: documented without a body, as the empty 200 of /logout is. */
function Type200Empty(): TSchema {
  return Type.Null({ description: 'Signed out; the body is empty' });
}

/** Sign-in failures of every kind become the one 401; throttling 429; the rest goes to the error handler. */
async function signInFailures<T>(promise: Promise<T>): Promise<T> {
  try {
    return await promise;
  } catch (err) {
    if (isLatchkeyError(err) && SIGN_IN_FAILURES.has(err.code))
      throw new SpaHttpError(401, MESSAGES.credentials);
    throw err;
  }
}

async function preflight(settings: SpaSettings, request: FastifyRequest, reply: FastifyReply) {
  varyOnOrigin(reply, ['Access-Control-Request-Method', 'Access-Control-Request-Headers']);
  const origin = request.headers.origin;
  const method = request.headers['access-control-request-method'];
  if (
    typeof origin !== 'string' ||
    origin === 'null' ||
    !isAllowedOrigin(settings, origin) ||
    (typeof method === 'string' && method.toUpperCase() !== 'POST')
  ) {
    return sendMessage(reply, new SpaHttpError(403, MESSAGES.crossSite));
  }
  corsHeaders(reply, origin);
  reply.header('access-control-allow-methods', 'POST');
  reply.header('access-control-allow-headers', 'Content-Type');
  reply.header('access-control-max-age', '600');
  return reply.status(204).send();
}

/** Every error of the dialect as `{message}`: throttling 429, outages 503, HTTP-level refusals as they are. */
function toSpaError(err: unknown, request: FastifyRequest): SpaHttpError {
  if (err instanceof SpaHttpError) return err;
  if (isLatchkeyError(err)) {
    const status = HTTP_STATUS[err.code] ?? 500;
    const headers: Record<string, string> = {};
    if (err.details.retryAfterSeconds) headers['retry-after'] = String(err.details.retryAfterSeconds);
    if (status === 429) return new SpaHttpError(429, MESSAGES.throttled, headers);
    if (status === 503)
      return new SpaHttpError(503, MESSAGES.unavailable, { 'retry-after': '5', ...headers });
    if (status === 401) return new SpaHttpError(401, MESSAGES.unauthorized);
    if (status < 500) return new SpaHttpError(status, err.message, headers);
  }
  const status = (err as { statusCode?: unknown }).statusCode;
  if (typeof status === 'number' && status >= 400 && status < 500) {
    return new SpaHttpError(status, (err as Error).message);
  }
  request.log.error({ err }, 'unhandled error');
  return new SpaHttpError(500, MESSAGES.internal);
}
