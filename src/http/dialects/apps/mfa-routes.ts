import { type AppsCore, TOTP_NOT_ENROLLED } from '../../../apps/index.js';
import type { Config } from '../../../config/config.js';
import { contextOf } from '../../client.js';
import { authorizationToken, factorArgs, rawBody, stringFields } from './body.js';
import { applicableTypes, type Rewording } from './errors.js';
import type { AppsRoute } from './route.js';
import {
  appsErrors,
  Empty,
  FactorBody,
  RecoveryCodesResult,
  TotpActivateBody,
  TotpEnrollResult,
} from './schemas.js';

const EXTENSION = 'Latchkey extension: the reference has no second factor.';
const ALREADY_ACTIVE = 'TOTP is already active for this login; eject it first';

/** Enrolment, eject and new recovery codes: the login confirms with a current factor (its password or a TOTP code). */
const CONFIRM_WORDS: Rewording = {
  auth_factor_required: (err) =>
    `a current factor is required: send secondaryAuthFactor {type, token}; type ${applicableTypes(err)}`,
  auth_factor_invalid: 'secondaryAuthFactor cannot be verified',
  // Either the login has no TOTP to remove (the core's words are the right ones), or no factor of the type sent.
  auth_factor_not_found: (err) =>
    err.message === TOTP_NOT_ENROLLED
      ? err.message
      : 'secondaryAuthFactor: this login has no factor of that type; use PASSWORD or TOTP',
};

/**
 * A login's own second factor, under `…/auth/mfa/`, authenticated by its principal
 * token (Bearer, as `…/auth/refresh`). The rules are the core's (AppMfaService): these
 * routes read the body and word the answers.
 */
/** The refusals of a change confirmed with a current factor (eject, new recovery codes). */
const CONFIRMED_CHANGE_ERRORS = appsErrors([400, 401, 413, 415, 429, 500, 503], {
  400: 'A body problem, `TOTP is not enrolled for this login`, or a factor type the login has not',
  401: 'The token refused, or `secondaryAuthFactor` missing or wrong',
});

export function mfaRoutes(core: AppsCore, config: Config): AppsRoute[] {
  return [
    {
      path: '/auth/mfa/totp/enroll',
      summary: 'Start TOTP enrolment: a new secret, its otpauth URI and QR code (Latchkey extension)',
      description: `${EXTENSION} \`secondaryAuthFactor\` is the login's password (\`PASSWORD\`), so that a stolen token alone cannot enrol an authenticator; a login without a password sends no body. The secret waits 15 minutes for \`…/auth/mfa/totp/activate\`; enrolling again replaces it. Wrong factors are throttled per login (429).`,
      bearer: true,
      body: FactorBody,
      response: {
        200: TotpEnrollResult,
        ...appsErrors([400, 401, 409, 413, 415, 429, 500, 503], {
          401: 'The token refused, or `secondaryAuthFactor` missing or wrong',
          409: ALREADY_ACTIVE,
        }),
      },
      words: { ...CONFIRM_WORDS, conflict: ALREADY_ACTIVE },
      handler: async ({ app, request, reply }) => {
        const token = authorizationToken(request);
        const { secondFactor } = factorArgs(rawBody(request));
        return reply.send(await core.mfa.enroll(app, token, secondFactor, contextOf(request, config)));
      },
    },
    {
      path: '/auth/mfa/totp/activate',
      summary: 'Activate TOTP with one current code of the enrolled secret (Latchkey extension)',
      description: `${EXTENSION} From then on, \`…/auth/login\` needs \`secondaryAuthFactor\`. Wrong codes are throttled per login (429).`,
      bearer: true,
      body: TotpActivateBody,
      response: {
        204: Empty,
        ...appsErrors([400, 401, 409, 413, 415, 429, 500, 503], {
          400: 'A body problem; `code cannot be verified`; or no pending enrolment with this secret (expired or replaced)',
          409: ALREADY_ACTIVE,
        }),
      },
      words: {
        conflict: ALREADY_ACTIVE,
        // The token was accepted: what is wrong is in the body, and a 401 would tell clients to drop the token.
        session_not_found: {
          code: 'invalid_input',
          message: 'no pending TOTP enrolment with this secret: it expired or was replaced; enroll again',
        },
        auth_factor_invalid: { code: 'invalid_input', message: 'code cannot be verified' },
      },
      handler: async ({ app, request, reply }) => {
        const token = authorizationToken(request);
        const body = stringFields(rawBody(request), ['secret', 'code']);
        await core.mfa.activate(app, token, body.secret, body.code);
        return reply.status(204).send();
      },
    },
    {
      path: '/auth/mfa/totp/eject',
      summary: 'Remove TOTP and the recovery codes, confirmed with a current factor (Latchkey extension)',
      description: `${EXTENSION} \`secondaryAuthFactor\` is the password (\`PASSWORD\`) or a TOTP code (\`TOTP\`); throttled per login (429).`,
      bearer: true,
      body: FactorBody,
      response: {
        204: Empty,
        ...CONFIRMED_CHANGE_ERRORS,
      },
      words: CONFIRM_WORDS,
      handler: async ({ app, request, reply }) => {
        const token = authorizationToken(request);
        const { secondFactor } = factorArgs(rawBody(request));
        await core.mfa.eject(app, token, secondFactor, contextOf(request, config));
        return reply.status(204).send();
      },
    },
    {
      path: '/auth/mfa/recovery-codes',
      summary: 'Ten new single-use recovery codes, confirmed with a current factor (Latchkey extension)',
      description: `${EXTENSION} Needs TOTP. The codes are shown once and replace any earlier ones; each signs in once as \`secondaryAuthFactor {"type": "RECOVERY_CODE"}\`.`,
      bearer: true,
      body: FactorBody,
      response: {
        200: RecoveryCodesResult,
        ...CONFIRMED_CHANGE_ERRORS,
      },
      words: CONFIRM_WORDS,
      handler: async ({ app, request, reply }) => {
        const token = authorizationToken(request);
        const { secondFactor } = factorArgs(rawBody(request));
        const context = contextOf(request, config);
        return reply.send({
          recoveryCodes: await core.mfa.generateRecoveryCodes(app, token, secondFactor, context),
        });
      },
    },
  ];
}
