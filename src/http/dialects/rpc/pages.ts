import { type TSchema, Type } from '@sinclair/typebox';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Invitation } from '../../../identity/invitations.js';
import type { Services } from '../../../services.js';
import { isLatchkeyError, type LatchkeyError } from '../../../shared/errors.js';
import { clientInfo, contextOf } from '../../client.js';
import { httpErrors } from '../../openapi/components.js';
import { SECURITY } from '../../openapi/index.js';
import { escapeHtml, page, pageCsp } from '../../pages/html.js';

/**
 * The pages the rpc dialect's mails link to (built from `publicUrl`): verifying an
 * address (`GET /verify-email?token=`, as in the reference), choosing a new password
 * and accepting an invitation. Plain server-rendered HTML without JavaScript, with a
 * strict CSP, no-store, never framed. The token in a link is the credential, so the
 * forms need no other CSRF defence: a forged post would have to carry it.
 */
export const PAGE_PATHS = {
  verifyEmail: '/verify-email',
  resetPassword: '/reset-password',
  acceptInvitation: '/accept-invitation',
} as const;

const TAGS = ['rpc'];
const MAX_TOKEN = 100;
/** As the rpc schema's `fullName` (code points); the core does not check it. */
const FULL_NAME_MAX_LENGTH = 100;

const html = (description: string): TSchema =>
  Type.Unsafe({ description, content: { 'text/html': { schema: { type: 'string' } } } });

const TokenQuery = Type.Object({
  token: Type.Optional(Type.String({ description: 'The secret from the mailed link' })),
});

function send(reply: FastifyReply, status: number, body: string): FastifyReply {
  return reply
    .status(status)
    .header('content-type', 'text/html; charset=utf-8')
    .header('content-security-policy', pageCsp())
    .header('cache-control', 'no-store')
    .send(body);
}

function message(title: string, text: string): string {
  return page(title, `<h1>${escapeHtml(title)}</h1><p>${escapeHtml(text)}</p>`);
}

function tokenOf(source: unknown): string {
  const value = (source as Record<string, unknown> | undefined)?.['token'];
  return typeof value === 'string' && value.length <= MAX_TOKEN && /^[A-Za-z0-9-]+$/.test(value) ? value : '';
}

/**
 * A form field exactly as posted, never shortened (checklist P3): a cut password would
 * be set without its owner knowing which part counts. Lengths are the core's to check
 * (in code points); the body limit bounds what reaches it.
 */
function fieldOf(body: Record<string, unknown>, name: string): string | undefined {
  const value = body[name];
  return typeof value === 'string' && value !== '' ? value : undefined;
}

const EXPIRED = 'This link is invalid, has expired or has already been used.';

/** What the person at the page may read about a failure. */
function explain(err: unknown): { status: number; text: string } | null {
  if (!isLatchkeyError(err)) return null;
  const e = err as LatchkeyError;
  switch (e.code) {
    case 'token_not_found':
    case 'user_not_found':
    case 'email_not_found':
      return { status: 400, text: EXPIRED };
    case 'rate_limited':
      return { status: 429, text: 'Too many attempts; try again later.' };
    case 'user_deactivated':
      return { status: 400, text: 'This account is deactivated.' };
    case 'invalid_password':
    case 'invalid_input':
    case 'invalid_username':
    case 'duplicate_username':
    case 'duplicate_email':
      return { status: 400, text: e.message };
    default:
      return null;
  }
}

function resetForm(token: string, error: string | null): string {
  return page(
    'Choose a new password',
    [
      '<h1>Choose a new password</h1>',
      error ? `<p class="error" role="alert">${escapeHtml(error)}</p>` : '',
      `<form method="post" action="${PAGE_PATHS.resetPassword.slice(1)}">`,
      `<input type="hidden" name="token" value="${escapeHtml(token)}">`,
      '<label for="password">New password</label>',
      // No maxlength: a browser counts it in UTF-16 units and cuts a pasted password
      // silently; the server refuses one that is too long, saying so.
      '<input id="password" name="password" type="password" autocomplete="new-password" minlength="8" required>',
      '<p class="hint">8 to 1024 characters. Every device signed in to this account will be signed out.</p>',
      '<button type="submit">Set the password</button>',
      '</form>',
    ].join(''),
  );
}

function invitationForm(token: string, usernames: boolean, error: string | null): string {
  return page(
    'Accept the invitation',
    [
      '<h1>Accept the invitation</h1>',
      error ? `<p class="error" role="alert">${escapeHtml(error)}</p>` : '',
      `<form method="post" action="${PAGE_PATHS.acceptInvitation.slice(1)}">`,
      `<input type="hidden" name="token" value="${escapeHtml(token)}">`,
      usernames
        ? '<label for="username">Username</label><input id="username" name="username" autocomplete="username" minlength="2" maxlength="30" required>'
        : '',
      '<label for="fullName">Full name</label><input id="fullName" name="fullName" autocomplete="name" maxlength="100">',
      '<label for="password">Password</label>',
      // No maxlength, as in the reset form.
      '<input id="password" name="password" type="password" autocomplete="new-password" minlength="8" required>',
      '<button type="submit">Create the account</button>',
      '</form>',
    ].join(''),
  );
}

export async function registerRpcPages(app: FastifyInstance, services: Services): Promise<void> {
  const appId = services.defaultApp.id;
  const usernames = services.config.usernamesEnabled;

  app.removeContentTypeParser('text/plain');
  // The pages' own form posts; first value of each key wins.
  app.addContentTypeParser(
    'application/x-www-form-urlencoded',
    { parseAs: 'string', bodyLimit: 16 * 1024 },
    (_request, body, done) => {
      const fields: Record<string, string> = Object.create(null);
      for (const [key, value] of new URLSearchParams(body as string))
        if (!(key in fields)) fields[key] = value;
      done(null, fields);
    },
  );

  const formBody = {
    content: {
      'application/x-www-form-urlencoded': {
        schema: Type.Object(
          { token: Type.String(), password: Type.String() },
          { additionalProperties: true },
        ),
      },
    },
  };

  app.get(
    PAGE_PATHS.verifyEmail,
    {
      schema: {
        summary: 'The email-verification link: verifies the address (once) and says so',
        description: 'An account waiting for activation becomes active. Same as `email.verify`.',
        tags: TAGS,
        security: SECURITY.none,
        querystring: TokenQuery,
        response: {
          200: html('The address is verified'),
          400: html('An invalid, expired or used link'),
          ...httpErrors(500, 503),
        },
      },
      attachValidation: true,
    },
    async (request: FastifyRequest, reply) => {
      const token = tokenOf(request.query);
      if (!token) return send(reply, 400, message('Email not verified', EXPIRED));
      try {
        await services.identity.account.verifyEmail(token);
        return send(reply, 200, message('Email verified', 'Thank you: your email address is verified.'));
      } catch (err) {
        const known = explain(err);
        if (!known) throw err;
        return send(reply, 400, message('Email not verified', known.text));
      }
    },
  );

  app.get(
    PAGE_PATHS.resetPassword,
    {
      schema: {
        summary: 'The password-reset link: a form for the new password',
        tags: TAGS,
        security: SECURITY.none,
        querystring: TokenQuery,
        response: {
          200: html('The form'),
          400: html('An invalid, expired or used link'),
          ...httpErrors(500, 503),
        },
      },
      attachValidation: true,
    },
    async (request, reply) => {
      const token = tokenOf(request.query);
      if (!token || !(await services.identity.oneTimeTokens.peek('password_reset', token)))
        return send(reply, 400, message('Reset link expired', EXPIRED));
      return send(reply, 200, resetForm(token, null));
    },
  );

  app.post(
    PAGE_PATHS.resetPassword,
    {
      schema: {
        summary: 'The password-reset form’s post: sets the password (once), like `user.resetPassword`',
        tags: TAGS,
        security: SECURITY.none,
        body: formBody,
        response: {
          200: html('The password is set'),
          400: html('An invalid, expired or used link, or a password that is not allowed (the form again)'),
          429: html('Too many attempts; see Retry-After'),
          ...httpErrors(413, 415, 500, 503),
        },
      },
      attachValidation: true,
    },
    async (request, reply) => {
      const body = (request.body ?? {}) as Record<string, unknown>;
      const token = tokenOf(body);
      const password = fieldOf(body, 'password');
      if (!token) return send(reply, 400, message('Reset link expired', EXPIRED));
      if (!password) return send(reply, 400, resetForm(token, 'Choose a password.'));
      try {
        await services.identity.account.resetPassword(appId, {
          token,
          password,
          client: clientInfo(request),
          context: contextOf(request, services.config),
        });
        return send(reply, 200, message('Password changed', 'Your password is set. Sign in with it now.'));
      } catch (err) {
        const known = explain(err);
        if (!known) throw err;
        if (isLatchkeyError(err) && err.details.retryAfterSeconds)
          reply.header('retry-after', String(err.details.retryAfterSeconds));
        if (isLatchkeyError(err) && err.code === 'invalid_password')
          return send(reply, 400, resetForm(token, known.text));
        return send(reply, known.status, message('Password not changed', known.text));
      }
    },
  );

  // The form when the invitation may be accepted with a new account (see InvitationService.inviteeOf).
  const invitationPage = async (invitation: Invitation, token: string, error: string | null) =>
    (await services.identity.invitations.inviteeOf(appId, invitation, null)) === null
      ? invitationForm(token, usernames, error)
      : message(
          'Accept the invitation',
          'This invitation is for your existing account: sign in to the application that invited you and accept it there.',
        );

  app.get(
    PAGE_PATHS.acceptInvitation,
    {
      schema: {
        summary:
          'The invitation link: a form for the new account (an existing account accepts through its application)',
        tags: TAGS,
        security: SECURITY.none,
        querystring: TokenQuery,
        response: {
          200: html('The form, or how to accept with an existing account'),
          400: html('An invalid, expired or used link'),
          ...httpErrors(500, 503),
        },
      },
      attachValidation: true,
    },
    async (request, reply) => {
      const token = tokenOf(request.query);
      const invitation = token ? await services.identity.invitations.peek(token).catch(() => null) : null;
      if (!invitation) return send(reply, 400, message('Invitation expired', EXPIRED));
      return send(reply, 200, await invitationPage(invitation, token, null));
    },
  );

  app.post(
    PAGE_PATHS.acceptInvitation,
    {
      schema: {
        summary:
          'The invitation form’s post: creates the account and joins the org (once), like `invitation.accept`',
        tags: TAGS,
        security: SECURITY.none,
        body: formBody,
        response: {
          200: html('The account exists and is a member'),
          400: html('An invalid, expired or used link, or fields that are not allowed (the form again)'),
          429: html('Too many attempts; see Retry-After'),
          ...httpErrors(413, 415, 500, 503),
        },
      },
      attachValidation: true,
    },
    async (request, reply) => {
      const body = (request.body ?? {}) as Record<string, unknown>;
      const token = tokenOf(body);
      const invitation = token ? await services.identity.invitations.peek(token).catch(() => null) : null;
      if (!invitation) return send(reply, 400, message('Invitation expired', EXPIRED));
      if ((await services.identity.invitations.inviteeOf(appId, invitation, null)) !== null)
        return send(reply, 400, await invitationPage(invitation, token, null));
      const password = fieldOf(body, 'password');
      const username = usernames ? fieldOf(body, 'username') : undefined;
      const fullName = fieldOf(body, 'fullName');
      if (!password || (usernames && !username))
        return send(reply, 400, invitationForm(token, usernames, 'Fill in every required field.'));
      if (fullName !== undefined && [...fullName].length > FULL_NAME_MAX_LENGTH)
        return send(
          reply,
          400,
          invitationForm(token, usernames, `Full name must be at most ${FULL_NAME_MAX_LENGTH} characters`),
        );
      try {
        await services.identity.invitations.accept(appId, {
          token,
          callerId: null,
          account: { username, password, fullName },
        });
        return send(reply, 200, message('Welcome', 'Your account is ready. Sign in with it now.'));
      } catch (err) {
        const known = explain(err);
        if (!known) throw err;
        if (known.text === EXPIRED) return send(reply, 400, message('Invitation expired', EXPIRED));
        return send(reply, known.status, invitationForm(token, usernames, known.text));
      }
    },
  );
}
