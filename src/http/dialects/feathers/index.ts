import type { Static, TSchema } from '@sinclair/typebox';
import type { FastifyInstance, FastifyReply, FastifyRequest, HTTPMethods } from 'fastify';
import { allowedRedirect, feathersSettings } from '../../../config/feathers.js';
import { primaryEmail } from '../../../identity/types.js';
import type { Services } from '../../../services.js';
import { isLatchkeyError } from '../../../shared/errors.js';
import { DEVICE_HEADER } from '../../../throttle/index.js';
import { clientInfo, contextOf } from '../../client.js';
import { SECURITY } from '../../openapi/index.js';
import { prefersHtml, sendActivationPage } from '../../pages/activation.js';
import { type Caller, createAuthentication, removeAuthentication } from './authentication.js';
import { headerToken, presentedToken } from './credentials.js';
import { FeathersHttpError, feathersErrors, sendFeathersError, toFeathersError } from './errors.js';
import { presentUser } from './presenters.js';
import {
  ActivateQuery,
  ActivateResult,
  AuthenticationBody,
  AuthenticationResult,
  IdParam,
  LoginBody,
  SignupBody,
  SignupResult,
  TokenBody,
  TokenQuery,
  TokenResult,
} from './schemas.js';
import { exchangeToken, signInWithPassword } from './session.js';
import { registerFeathersSocket } from './socket.js';

const TAGS = ['feathers'];
const BEARER = [{ BearerAuth: [] }] as Array<Record<string, string[]>>;

/** Feathers' REST verbs → the service method it would have called, for MethodNotAllowed messages. */
function serviceMethod(method: string, hasId: boolean): string {
  switch (method) {
    case 'GET':
    case 'HEAD':
      return hasId ? 'get' : 'find';
    case 'POST':
      return 'create';
    case 'PUT':
      return 'update';
    case 'PATCH':
      return 'patch';
    default:
      return 'remove';
  }
}

function notFound(): FeathersHttpError {
  return new FeathersHttpError(404, 'Page not found');
}

/** Settles once the answer has left (or the connection closed), a turn of the event loop later. */
function answerSent(reply: FastifyReply): Promise<void> {
  return new Promise((resolve) => {
    const done = () => setImmediate(resolve);
    reply.raw.once('finish', done);
    reply.raw.once('close', done);
    // Never held up for good by a connection that neither finishes nor closes.
    setTimeout(done, 30_000).unref();
  });
}

/** Bodies that may be left out entirely (the token routes) are read as `{}`. */
async function emptyBodyIsObject(request: FastifyRequest): Promise<void> {
  request.body ??= {};
}

/**
 * The feathers dialect (Edumaps / Feathers compatible): `POST /auth/login`, its alias
 * `/auth/local`, `POST /auth/token`, the modern `POST|DELETE /authentication`, and
 * `POST /signup` + `GET /activate`. Creates answer 201, as every Feathers `create` does;
 * every error is a Feathers error `{name, message, code, className, errors}`.
 */
export async function registerFeathers(app: FastifyInstance, services: Services): Promise<void> {
  const settings = feathersSettings(services.config);
  const callerOf = (request: FastifyRequest, reply: FastifyReply): Caller => ({
    client: clientInfo(request),
    context: contextOf(request, services.config),
    // Feathers clients keep their token themselves: the device token goes in a header only.
    onDevice: (deviceToken) => void reply.header(DEVICE_HEADER, deviceToken),
  });
  // Only JSON: Fastify's text/plain parser would hand handlers a string (and a form post is a CSRF vector).
  app.removeContentTypeParser('text/plain');
  app.setErrorHandler((err, request, reply) => sendFeathersError(reply, toFeathersError(err, request)));
  // The same authentication service for @feathersjs/socketio-client, at <prefix>/socket.io/.
  registerFeathersSocket(app, services, settings, app.log);
  // Under a prefix every unknown path is the dialect's; at the root only /auth/* and /authentication/* are (below).
  if (settings.prefix !== '') {
    app.setNotFoundHandler((_request, reply) => sendFeathersError(reply, notFound()));
  }

  /** Other verbs on a known path: MethodNotAllowed, refused before any body is read. */
  const refuseOthers = (url: string, allowed: HTTPMethods[], hasId = false, secretPath = false) => {
    const others = (['GET', 'POST', 'PUT', 'PATCH', 'DELETE'] as HTTPMethods[]).filter(
      (m) => !allowed.includes(m),
    );
    app.route({
      method: others,
      url,
      config: { secretPath },
      schema: {
        summary: `Not supported (MethodNotAllowed); this path takes ${allowed.join(', ')}`,
        tags: TAGS,
        security: SECURITY.none,
        ...(hasId ? { params: IdParam } : {}),
        response: feathersErrors(405),
      },
      onRequest: async (request, reply) => {
        reply.header('allow', allowed.join(', '));
        throw new FeathersHttpError(
          405,
          `Method \`${serviceMethod(request.method, hasId)}\` is not supported by this endpoint.`,
        );
      },
      handler: async () => {
        throw notFound();
      },
    });
  };

  const login = async (request: FastifyRequest, reply: FastifyReply) => {
    const body = request.body as Static<typeof LoginBody>;
    if (body.email === undefined && body.password === undefined) {
      // The seed's own example re-authenticates by posting only `Authorisation: <token>` to
      // /auth/local: with no credentials but a token, this is /auth/token.
      const presented = presentedToken(request);
      if (presented) {
        const { user, token } = await exchangeToken(
          services,
          settings,
          presented.token,
          contextOf(request, services.config),
        );
        return reply.status(201).send({ token, data: await presentUser(services, user) });
      }
    }
    if (body.email === undefined || body.password === undefined) {
      const errors: Record<string, string> = {};
      if (body.email === undefined) errors['email'] = "must have required property 'email'";
      if (body.password === undefined) errors['password'] = "must have required property 'password'";
      throw new FeathersHttpError(400, 'email and password are required', { errors });
    }
    const { user, token } = await signInWithPassword(services, settings, callerOf(request, reply), {
      email: body.email,
      password: body.password,
      secondFactor: body.secondaryAuthFactor,
    });
    return reply.status(201).send({ token, data: await presentUser(services, user) });
  };
  for (const [url, summary, operationId] of [
    ['/auth/login', 'Sign in with email and password', 'feathersLogin'],
    ['/auth/local', 'Sign in with email and password (feathers-authentication 0.7 path)', 'feathersLocal'],
  ] as const) {
    app.post(
      url,
      {
        schema: {
          summary,
          description:
            "Answers 201 `{token, data}`. Every credential failure is 401 'Invalid login'; an account waiting for activation gets 401 'Not Activated', but only with the right password. Without email and password but with a token (as the Edumaps documentation's token example does), it re-authenticates like `/auth/token`.",
          operationId,
          tags: TAGS,
          security: SECURITY.none,
          body: LoginBody,
          response: { 201: TokenResult, ...feathersErrors(400, 401, 413, 415, 429, 500, 503) },
        },
        preValidation: emptyBodyIsObject,
      },
      login,
    );
    refuseOthers(url, ['POST']);
  }

  app.post(
    '/auth/token',
    {
      schema: {
        summary: 'Exchange a valid token for a fresh one, with the current user data',
        description:
          'The token is read from `body.token`, else `Authorization` or `Authorisation` (`Bearer <token>`, `JWT <token>` or the bare token), else `?token=`. The new token belongs to the same session: signing out ends both.',
        operationId: 'feathersToken',
        tags: TAGS,
        security: [...BEARER, {}],
        body: TokenBody,
        querystring: TokenQuery,
        response: { 201: TokenResult, ...feathersErrors(400, 401, 413, 415, 500, 503) },
      },
      preValidation: emptyBodyIsObject,
    },
    async (request, reply) => {
      const presented = presentedToken(request);
      if (!presented) throw new FeathersHttpError(401, 'No access token');
      const { user, token } = await exchangeToken(
        services,
        settings,
        presented.token,
        contextOf(request, services.config),
      );
      return reply.status(201).send({ token, data: await presentUser(services, user) });
    },
  );
  refuseOthers('/auth/token', ['POST']);

  app.post(
    '/authentication',
    {
      schema: {
        summary: 'Feathers v4/v5 authentication: `local` (email, password) or `jwt` (accessToken)',
        description:
          '`local` signs in and answers a new token; `jwt` checks `accessToken` and answers it unchanged with the current user, as Feathers does.',
        operationId: 'feathersAuthenticate',
        tags: TAGS,
        security: SECURITY.none,
        body: AuthenticationBody,
        response: { 201: AuthenticationResult, ...feathersErrors(400, 401, 413, 415, 429, 500, 503) },
      },
      preValidation: emptyBodyIsObject,
    },
    async (request, reply) => {
      const body = request.body as Static<typeof AuthenticationBody>;
      return reply
        .status(201)
        .send(await createAuthentication(services, settings, callerOf(request, reply), body));
    },
  );
  refuseOthers('/authentication', ['POST', 'DELETE']);

  const logout = async (request: FastifyRequest, reply: FastifyReply) => {
    const id = (request.params as { id?: string }).id;
    return reply
      .status(200)
      .send(await removeAuthentication(services, callerOf(request, reply), headerToken(request), id));
  };
  const logoutSchema = {
    summary: 'Sign out: the session behind the token is revoked, with every token of it',
    tags: TAGS,
    security: BEARER,
    response: { 200: AuthenticationResult, ...feathersErrors(400, 401, 413, 415, 500, 503) },
  };
  app.delete('/authentication', { schema: { ...logoutSchema, operationId: 'feathersLogout' } }, logout);
  app.delete(
    '/authentication/:id',
    {
      // The id is the access token itself: it must not reach the request log.
      config: { secretPath: true },
      schema: {
        ...logoutSchema,
        description: 'The id must be the token in the Authorization header.',
        operationId: 'feathersLogoutToken',
        params: IdParam,
      },
    },
    logout,
  );
  refuseOthers('/authentication/:id', ['DELETE'], true, true);

  /** A redirect target on an allowed origin, or BadRequest: never an open redirect. */
  const checkedRedirect = (candidate: string): string => {
    const redirect = allowedRedirect(settings, candidate);
    if (!redirect) {
      throw new FeathersHttpError(400, 'redirect is not on an allowed origin', {
        errors: { redirect: 'must be a URL on one of the allowed origins' },
      });
    }
    return redirect;
  };

  if (settings.signupEnabled) {
    app.post(
      '/signup',
      {
        schema: {
          summary: 'Create an account pending activation and mail its activation link',
          description:
            'Answers 201 alike whether or not the address already has an account: a new address gets an account and a mail; an account still waiting for activation gets a new link; an activated account gets nothing.',
          operationId: 'feathersSignup',
          tags: TAGS,
          security: SECURITY.none,
          body: SignupBody,
          response: { 201: SignupResult, ...feathersErrors(400, 413, 415, 429, 500, 503) },
        },
      },
      async (request, reply) => {
        const body = request.body as Static<typeof SignupBody>;
        const redirect = body.redirect === undefined ? null : checkedRedirect(body.redirect);
        await services.registration.signUp({
          app: services.defaultApp,
          email: body.email,
          password: body.password,
          redirect,
          client: clientInfo(request),
          answered: answerSent(reply),
        });
        return reply.status(201).send({ activationEmailSent: true, data: { email: body.email } });
      },
    );
    refuseOthers('/signup', ['POST']);
  }

  /** A JSON answer, or the same answer as a page for a browser (Accept: text/html preferred). */
  const activateResponse = (json: TSchema, page: string) => ({
    description: (json as { description?: string }).description ?? page,
    content: {
      'application/json': { schema: json },
      'text/html': { schema: { type: 'string', description: page } },
    },
  });
  app.get(
    '/activate',
    {
      // A HEAD (link scanners) must not use the one-time link: only GET runs the handler.
      exposeHeadRoute: false,
      schema: {
        summary: 'Activate an account with the link of its activation mail',
        description:
          'Uses the one-time token, then redirects (302) to `redirect` when given (it must be on an allowed origin), or answers 200. Unknown, used and expired tokens all answer 400. A browser (Accept preferring `text/html`) gets each answer as a page; other clients get JSON.',
        operationId: 'feathersActivate',
        tags: TAGS,
        security: SECURITY.none,
        querystring: ActivateQuery,
        response: {
          200: activateResponse(ActivateResult, 'The account is activated'),
          302: { description: 'Activated; sent on to `redirect`', type: 'null' },
          400: activateResponse(feathersErrors(400)[400]!, 'The link is used, expired or invalid'),
          ...feathersErrors(405, 500),
          503: activateResponse(feathersErrors(503)[503]!, 'Try again shortly'),
        },
      },
      onRequest: async (_request, reply) => {
        reply.header('vary', 'Accept');
      },
      // The same errors as any feathers route, as a page when a browser opened the link.
      errorHandler: (err, request, reply) => {
        const error = toFeathersError(err, request);
        if (!prefersHtml(request) || ![400, 503].includes(error.status)) {
          return sendFeathersError(reply, error);
        }
        if (error.extra.retryAfterSeconds) reply.header('retry-after', String(error.extra.retryAfterSeconds));
        const usedOrExpired = isLatchkeyError(err) && err.code === 'invalid_input';
        return sendActivationPage(
          reply,
          error.status,
          error.status !== 400
            ? { kind: 'unavailable' }
            : usedOrExpired
              ? { kind: 'used-or-expired' }
              : { kind: 'invalid' },
        );
      },
    },
    async (request, reply) => {
      const query = request.query as Static<typeof ActivateQuery>;
      // Checked before the token is used, so a bad redirect does not burn the link.
      const redirect = query.redirect === undefined ? null : checkedRedirect(query.redirect);
      const user = await services.registration.activate(query.token);
      if (redirect) return reply.redirect(redirect, 302);
      const email = primaryEmail(user) ?? '';
      if (prefersHtml(request)) return sendActivationPage(reply, 200, { kind: 'activated', email });
      return reply.status(200).send({ activated: true, data: { email } });
    },
  );
  app.route({
    method: 'HEAD',
    url: '/activate',
    schema: { hide: true },
    onRequest: async (_request, reply) => {
      reply.header('allow', 'GET');
      throw new FeathersHttpError(405, 'Method `find` is not supported by this endpoint.');
    },
    handler: async () => {
      throw notFound();
    },
  });
  refuseOthers('/activate', ['GET']);

  // Unknown paths under the dialect's own path families answer Feathers' NotFound.
  for (const url of ['/auth/*', '/authentication/*']) {
    app.route({
      method: ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'],
      url,
      // A catch-all matches anything, the access token too (`DELETE /authentication/<token>/`):
      // the request log shows the template, whatever shape the token has.
      config: { secretPath: true },
      // Not an operation: like every unknown path, it is left out of the document (docs/openapi.md).
      schema: { hide: true },
      onRequest: async () => {
        throw notFound();
      },
      handler: async () => {
        throw notFound();
      },
    });
  }
}
