import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import type { Services } from '../../../services.js';
import { clientInfo, contextOf } from '../../client.js';
import { rememberDevice } from '../../device.js';
import { PrincipalToken, ref } from '../../openapi/components.js';
import { SECURITY } from '../../openapi/index.js';
import { authorizationToken, factorArgs, loginArgs, rawBody, stringFields } from './body.js';
import { applicableTypes, badRequest, handleAppsError, reworded } from './errors.js';
import { mfaRoutes } from './mfa-routes.js';
import type { AppsRoute } from './route.js';
import {
  appsErrors,
  ChangePasswordBody,
  DeviceResult,
  EmailCodeBody,
  EmailCodeResult,
  EmailCodeVerifyBody,
  Empty,
  LoginBody,
  Params,
  SignUpBody,
  SignUpResult,
  VerifiedEmailResult,
} from './schemas.js';

/** How the core's second-factor refusals read on this dialect's wire (login and change-password). */
const SECOND_FACTOR_WORDS: AppsRoute['words'] = {
  auth_factor_required: (err) =>
    `a second factor is required: send secondaryAuthFactor {type, token} with the password; type ${applicableTypes(err)}`,
  auth_factor_invalid: 'secondaryAuthFactor is incorrect, expired or already used',
  auth_factor_not_found:
    'secondaryAuthFactor: this login has no factor of that type; use TOTP or RECOVERY_CODE',
};

/** Where the dialect is mounted; the reference's paths are fixed. */
export const APPS_PREFIX = '/api/v2/apps';

/**
 * The apps dialect (voedger-compatible): `POST /api/v2/apps/{owner}/{app}/…`, one app
 * (tenant) per path. Every error, from a malformed body to a bug, is the reference's
 * `{"status": <HTTP status>, "message": "…"}`. The routes only translate: the rules
 * live in the core (src/apps).
 */
export async function registerApps(scope: FastifyInstance, services: Services): Promise<void> {
  const core = services.appsCore;
  // Bodies arrive as text: each route reads its own, with the reference's wording for
  // every problem (a generic validator would answer in its own words). Other types: 415.
  scope.removeContentTypeParser('text/plain');
  scope.removeContentTypeParser('application/json');
  scope.addContentTypeParser('application/json', { parseAs: 'string' }, (_request, body, done) =>
    done(null, body),
  );
  scope.setErrorHandler(handleAppsError);

  const routes: AppsRoute[] = [
    {
      path: '/auth/login',
      summary: 'Issue a principal token in exchange for valid credentials',
      description:
        'Every credential failure (unknown, deactivated login; wrong password) is the same 401. ' +
        'Throttled per login and per client address (429 with Retry-After). ' +
        'A login with MFA also needs `secondaryAuthFactor` (Latchkey extension): without it, or with a wrong one, ' +
        'the right password answers 401 saying so (the password is checked first).',
      body: LoginBody,
      response: {
        200: Type.Unsafe({ ...ref(PrincipalToken), description: 'A principal token for the login' }),
        ...appsErrors([400, 401, 409, 413, 415, 429, 500, 503], {
          401: '`login or password is incorrect`; or, after the right password of a login with MFA, a missing or wrong `secondaryAuthFactor`',
          409: 'The profile workspace is not yet ready; repeat the request',
          500: 'The profile workspace could not be created (`the login profile is created with an error: …`), or an internal error',
        }),
      },
      words: SECOND_FACTOR_WORDS,
      handler: async ({ app, request, reply }) => {
        const { login, password, secondFactor } = loginArgs(rawBody(request));
        const issued = await core.logins.login(
          app,
          login,
          password,
          clientInfo(request),
          secondFactor,
          contextOf(request, services.config),
        );
        await rememberDevice(
          services,
          request,
          reply,
          { appId: app.id, userId: issued.userId },
          { cookie: null },
        );
        return reply.send({
          principalToken: issued.value,
          expiresInSeconds: issued.expiresInSeconds,
          profileWSID: issued.profileWSID,
        });
      },
    },
    {
      path: '/auth/refresh',
      summary: 'Exchange a valid principal token for a new one with the same claims',
      description:
        'The presented token is rotated: refreshing it again within 60 s returns the same successor; ' +
        'after that, it is taken for a stolen token and the whole session ends.',
      bearer: true,
      response: {
        200: Type.Unsafe({
          ...ref(PrincipalToken),
          description: 'A new principal token with the same claims (the presented one is rotated)',
        }),
        ...appsErrors([400, 401, 413, 415, 500, 503]),
      },
      handler: async ({ app, request, reply }) => {
        const issued = await core.logins.refresh(
          app,
          authorizationToken(request),
          contextOf(request, services.config),
        );
        return reply.send({
          principalToken: issued.value,
          expiresInSeconds: issued.expiresInSeconds,
          profileWSID: issued.profileWSID,
        });
      },
    },
    {
      path: '/auth/logout',
      summary: 'Sign out: revoke the principal token and every token refreshed from it (Latchkey extension)',
      description: 'Not in the reference, which cannot revoke a token.',
      bearer: true,
      response: { 204: Empty, ...appsErrors([400, 401, 413, 415, 500, 503]) },
      handler: async ({ app, request, reply }) => {
        await core.logins.signOut(app, authorizationToken(request), contextOf(request, services.config));
        return reply.status(204).send();
      },
    },
    {
      path: '/users',
      summary: 'Create a login from a verified email address (sign-up)',
      description:
        'The verified address becomes the login. The profile workspace is created in the background: ' +
        'sign-in answers 409 until it is ready.',
      body: SignUpBody,
      response: {
        201: SignUpResult,
        ...appsErrors([400, 409, 413, 415, 500, 503], { 409: 'sign-in identifier already exists' }),
      },
      handler: async ({ app, request, reply }) => {
        const body = stringFields(rawBody(request), ['verifiedEmailToken', 'displayName', 'password']);
        const user = await core.logins.signUp(app, body.verifiedEmailToken, body.password, body.displayName);
        return reply.status(201).send({ currentWLogOffset: 0, newIDs: { '1': user.id } });
      },
    },
    {
      path: '/users/change-password',
      summary: "Change a login's password with the old one",
      description:
        'At most one call a minute per login, failed ones included (429). Ends every session of the login. ' +
        'A login with MFA also needs `secondaryAuthFactor` (Latchkey extension), exactly as at sign-in: ' +
        'a stolen password alone must not let anyone take the account over.',
      body: ChangePasswordBody,
      response: {
        200: Empty,
        ...appsErrors([400, 401, 413, 415, 429, 500, 503], {
          401: '`login or password is incorrect`; or, after the right old password of a login with MFA, a missing or wrong `secondaryAuthFactor`',
        }),
      },
      words: SECOND_FACTOR_WORDS,
      handler: async ({ app, request, reply }) => {
        const raw = rawBody(request);
        const body = stringFields(raw, ['login', 'oldPassword', 'newPassword']);
        const { secondFactor } = factorArgs(raw);
        await core.logins.changePassword(
          app,
          body.login,
          body.oldPassword,
          body.newPassword,
          clientInfo(request),
          secondFactor,
          contextOf(request, services.config),
        );
        return reply.status(200).send();
      },
    },
    {
      path: '/users/email-code',
      summary: 'Mail a 6-digit code that proves an address, for sign-up (Latchkey extension)',
      description:
        'Answers the same whether or not the address has a login. Throttled per address and per client (429).',
      body: EmailCodeBody,
      response: { 200: EmailCodeResult, ...appsErrors([400, 413, 415, 429, 500, 503]) },
      handler: async ({ app, request, reply }) => {
        const { email } = stringFields(rawBody(request), ['email']);
        return reply.send(await core.emailCodes.request(app, email, clientInfo(request)));
      },
    },
    {
      path: '/users/email-code/verify',
      summary: 'Exchange the mailed code for a verified-email token (Latchkey extension)',
      description: 'Each code works once, for 10 minutes, and is burnt after 5 wrong guesses.',
      body: EmailCodeVerifyBody,
      response: { 200: VerifiedEmailResult, ...appsErrors([400, 413, 415, 429, 500, 503]) },
      handler: async ({ app, request, reply }) => {
        const body = stringFields(rawBody(request), ['verificationToken', 'code']);
        return reply.send(
          await core.emailCodes.verify(app, body.verificationToken, body.code, clientInfo(request)),
        );
      },
    },
    {
      path: '/devices',
      summary: 'Create a device login with generated credentials (SubjectKind 2)',
      description:
        'Takes no body (any body is `unexpected body`) and no authentication, as the reference; ' +
        'throttled per client address (429). Sign in with the answer once its profile is ready.',
      response: { 201: DeviceResult, ...appsErrors([400, 413, 415, 429, 500, 503]) },
      handler: async ({ app, request, reply }) => {
        if (rawBody(request).length > 0) throw badRequest('unexpected body');
        return reply.status(201).send(await core.logins.createDevice(app, clientInfo(request)));
      },
    },
    ...mfaRoutes(core, services.config),
  ];

  for (const route of routes) {
    const url = `/:owner/:app${route.path}`;
    scope.route({
      method: 'POST',
      url,
      schema: {
        summary: route.summary,
        description: route.description,
        tags: ['apps'],
        params: Params,
        ...(route.body ? { body: route.body } : {}),
        security: route.bearer ? [{ BearerAuth: [] }] : SECURITY.none,
        response: route.response,
      },
      // The schemas document the routes; the handlers check (see above).
      attachValidation: true,
      handler: async (request, reply) => {
        const { owner, app: name } = request.params as { owner: string; app: string };
        const app = await core.directory.resolve(owner, name);
        try {
          return await route.handler({ app, request, reply });
        } catch (err) {
          throw route.words ? reworded(err, route.words) : err;
        }
      },
    });
    // Other verbs answer 405 (HttpError); left out of the document, where only POST is listed.
    scope.route({
      method: ['GET', 'PUT', 'PATCH', 'DELETE'],
      url,
      schema: { hide: true },
      // The message names the path as requested (`/api/v2/apps/acme/portal/auth/login`), not the
      // route's tail alone, which reads like the feathers dialect's /auth/login.
      handler: async (request, reply) =>
        reply
          .status(405)
          .header('allow', 'POST')
          .send({
            statusCode: 405,
            error: 'Method Not Allowed',
            message: `${request.url.split('?')[0]} accepts POST only`,
          }),
    });
  }
}
