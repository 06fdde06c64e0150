import { type TSchema, Type } from '@sinclair/typebox';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { allowedReturnUrl, publicPath, type SpaSettings, spaSettings } from '../../config/spa.js';
import { appQName } from '../../identity/types.js';
import { isCodeError, RESPONSE_WINDOW_SECONDS } from '../../mfa/challenge.js';
import type { Services } from '../../services.js';
import { isLatchkeyError, LatchkeyError } from '../../shared/errors.js';
import { contextOf } from '../client.js';
import { MFA_PAGE_PATH } from '../dialects/spa/index.js';
import { httpErrors } from '../openapi/components.js';
import { SECURITY } from '../openapi/index.js';
import { escapeHtml, page, pageCsp } from './html.js';

const TAGS = ['pages'];
const MAX_CHALLENGE = 16384;
const MAX_CODE = 64;

const html = (description: string): TSchema =>
  Type.Unsafe({ description, content: { 'text/html': { schema: { type: 'string' } } } });

interface FormState {
  request: string;
  /** The allowed return URL, or '' to show the answer on the page. */
  returnUrl: string;
  error: string | null;
}

/**
 * Latchkey's hosted MFA page, the `host` of the spa dialect's `{mfa: {request, host}}`.
 * Plain server-rendered HTML that works without JavaScript: it takes a TOTP or recovery
 * code for the challenge and hands back a single-use `sigResponse`, by redirecting to
 * an allowed return URL (in the fragment, which never reaches a server or a Referer)
 * or by showing it. Served with a strict CSP, no-store, and never in a frame.
 */
export async function registerMfaPage(app: FastifyInstance, services: Services): Promise<void> {
  const settings = spaSettings(services.config);
  const action = new URL(publicPath(services.config, MFA_PAGE_PATH)).pathname;
  const audience = appQName(services.defaultApp);

  app.removeContentTypeParser('text/plain');
  // The page's own form posts; a tiny parser instead of a dependency (first value of each key wins).
  app.addContentTypeParser(
    'application/x-www-form-urlencoded',
    { parseAs: 'string', bodyLimit: 64 * 1024 },
    (_request, body, done) => {
      const fields: Record<string, string> = Object.create(null);
      for (const [key, value] of new URLSearchParams(body as string))
        if (!(key in fields)) fields[key] = value;
      done(null, fields);
    },
  );
  app.addHook('onSend', async (_request, reply, payload) => {
    // A real Origin on the form's POST (no-referrer would make it "null"); the URL's
    // challenge still never leaves this origin.
    reply.header('referrer-policy', 'same-origin');
    return payload;
  });

  const send = (reply: FastifyReply, status: number, body: string, formTargets: string[] = []) =>
    reply
      .status(status)
      .header('content-type', 'text/html; charset=utf-8')
      .header('content-security-policy', pageCsp(formTargets))
      .send(body);

  const form = (reply: FastifyReply, status: number, state: FormState) =>
    send(reply, status, formPage(action, state), targetsOf(state.returnUrl));

  app.get(
    MFA_PAGE_PATH,
    {
      schema: {
        summary: 'The hosted MFA page: a form for a TOTP or recovery code',
        description:
          'Opened with the `request` of an spa sign-in and, optionally, a `return` URL of an allowed origin.',
        tags: TAGS,
        security: SECURITY.none,
        querystring: Type.Object({
          request: Type.Optional(Type.String({ description: 'The signed challenge' })),
          return: Type.Optional(Type.String({ description: 'Where to send the answer (an allowed origin)' })),
        }),
        response: { 200: html('The form'), 400: html('An expired or invalid challenge or return URL') },
      },
      attachValidation: true,
    },
    async (request, reply) => {
      const query = (request.query ?? {}) as Record<string, unknown>;
      const challenge = typeof query['request'] === 'string' ? query['request'] : '';
      const returned = returnTarget(settings, query['return']);
      if (returned === false) return send(reply, 400, notAllowedPage());
      try {
        if (challenge.length > MAX_CHALLENGE) throw new Error('too long');
        await services.spa.challenges.check(audience, challenge);
      } catch {
        return send(reply, 400, expiredPage(returned));
      }
      return form(reply, 200, { request: challenge, returnUrl: returned, error: null });
    },
  );

  app.post(
    MFA_PAGE_PATH,
    {
      schema: {
        summary: 'The hosted MFA page’s form post',
        description:
          'Same-origin only. Success: 303 to the return URL with `#sigResponse=…`, or the page showing it.',
        tags: TAGS,
        security: SECURITY.none,
        body: {
          content: {
            'application/x-www-form-urlencoded': {
              schema: Type.Object({
                request: Type.String(),
                code: Type.String(),
                return: Type.Optional(Type.String()),
              }),
            },
          },
        },
        response: {
          200: html('The answer, shown to be copied back'),
          303: Type.Null({ description: 'Back to the return URL, the answer in its fragment' }),
          400: html('An expired or completed challenge, a return URL not allowed, or no code'),
          401: html('A wrong code: the form again'),
          403: html('A post from another origin'),
          429: html('Too many wrong codes: the form again; see Retry-After'),
          ...httpErrors(413, 415, 500, 503),
        },
      },
      attachValidation: true,
    },
    async (request, reply) => {
      if (!isSameOrigin(settings, request)) return send(reply, 403, refusedPage());
      const body = (request.body ?? {}) as Record<string, unknown>;
      const field = (name: string) => (typeof body[name] === 'string' ? (body[name] as string) : '');
      const returned = returnTarget(settings, body['return'] === '' ? undefined : body['return']);
      if (returned === false) return send(reply, 400, notAllowedPage());
      const state: FormState = {
        request: field('request').slice(0, MAX_CHALLENGE),
        returnUrl: returned,
        error: null,
      };
      const code = field('code').trim();
      if (code === '' || code.length > MAX_CODE) {
        return form(reply, 400, {
          ...state,
          error: 'Enter the code from your authenticator app, or a recovery code.',
        });
      }
      let sigResponse: string;
      try {
        ({ sigResponse } = await services.spa.challenges.answer(
          audience,
          services.defaultApp.id,
          state.request,
          code,
          contextOf(request, services.config),
        ));
      } catch (err) {
        if (isCodeError(err)) {
          return form(reply, 401, { ...state, error: 'That code was not accepted. Check it and try again.' });
        }
        if (isLatchkeyError(err) && err.code === 'rate_limited') {
          const wait = Number(err.details.retryAfterSeconds ?? 1);
          reply.header('retry-after', String(wait));
          return form(reply, 429, {
            ...state,
            error: `Too many wrong codes. Wait ${wait} second${wait === 1 ? '' : 's'}, then try again.`,
          });
        }
        if (isLatchkeyError(err) && err.code === 'token_invalid')
          return send(reply, 400, expiredPage(returned));
        throw err;
      }
      if (returned) {
        const target = new URL(returned);
        target.hash = `sigResponse=${encodeURIComponent(sigResponse)}`;
        return reply.redirect(target.href, 303);
      }
      return send(reply, 200, answerPage(sigResponse));
    },
  );
}

/**
 * The API route for clients without a browser: `{request, code}` → `{sigResponse}`,
 * then `POST /login/verify` as a browser would.
 */
export async function registerMfaApi(app: FastifyInstance, services: Services): Promise<void> {
  const audience = appQName(services.defaultApp);
  app.removeContentTypeParser('text/plain');
  app.post(
    `${MFA_PAGE_PATH}/respond`,
    {
      schema: {
        summary: 'Answer an MFA challenge without a browser',
        description:
          'Checks a TOTP or recovery code for the `request` of an spa sign-in (replay-proof, throttled per user) and answers the single-use `sigResponse` for `POST /login/verify`.',
        tags: TAGS,
        security: SECURITY.none,
        body: Type.Object(
          {
            request: Type.String({ minLength: 1, maxLength: MAX_CHALLENGE }),
            code: Type.String({
              minLength: 1,
              maxLength: MAX_CODE,
              description: 'A TOTP code or a recovery code',
            }),
          },
          { additionalProperties: false },
        ),
        response: {
          200: Type.Object(
            {
              sigResponse: Type.String(),
              expiresAt: Type.String({ format: 'date-time', description: 'Redeem it before then, once' }),
            },
            { additionalProperties: false },
          ),
          ...httpErrors(400, 401, 413, 415, 429, 500, 503),
        },
      },
    },
    async (request) => {
      const body = request.body as { request: string; code: string };
      try {
        const { sigResponse, expiresAtMs } = await services.spa.challenges.answer(
          audience,
          services.defaultApp.id,
          body.request,
          body.code,
          contextOf(request, services.config),
        );
        return { sigResponse, expiresAt: new Date(expiresAtMs).toISOString() };
      } catch (err) {
        // Not enrolled (any more) reads like a wrong code: the answer says nothing about the account.
        if (isCodeError(err)) throw new LatchkeyError('auth_factor_invalid', 'The code was not accepted');
        throw err;
      }
    },
  );
}

/** The form posts to itself: Fetch Metadata says same-origin, or (older browsers) Origin is ours. */
function isSameOrigin(settings: SpaSettings, request: FastifyRequest): boolean {
  const site = request.headers['sec-fetch-site'];
  const origin = request.headers.origin;
  if (site !== undefined) return site === 'same-origin';
  return origin === undefined || origin === settings.ownOrigin;
}

/** '' without a return URL; the allowed URL; or false when one was given that is not allowed. */
function returnTarget(settings: SpaSettings, value: unknown): string | false {
  if (value === undefined) return '';
  if (typeof value !== 'string') return false;
  return allowedReturnUrl(settings, value)?.href ?? false;
}

function targetsOf(returnUrl: string): string[] {
  return returnUrl ? [new URL(returnUrl).origin] : [];
}

function formPage(action: string, state: FormState): string {
  const describedBy = state.error ? 'hint error' : 'hint';
  return page(
    'Two-step verification',
    [
      '<h1>Two-step verification</h1>',
      '<p id="hint" class="hint">Enter the 6-digit code from your authenticator app, or one of your recovery codes.</p>',
      state.error ? `<p id="error" class="error" role="alert">${escapeHtml(state.error)}</p>` : '',
      `<form method="post" action="${escapeHtml(action)}">`,
      `<input type="hidden" name="request" value="${escapeHtml(state.request)}">`,
      state.returnUrl ? `<input type="hidden" name="return" value="${escapeHtml(state.returnUrl)}">` : '',
      '<label for="code">Verification code</label>',
      `<input id="code" name="code" type="text" autocomplete="one-time-code" autocapitalize="off" spellcheck="false" required autofocus maxlength="${MAX_CODE}" aria-describedby="${describedBy}"${state.error ? ' aria-invalid="true"' : ''}>`,
      '<button type="submit">Verify</button>',
      '</form>',
    ].join('\n'),
  );
}

function answerPage(sigResponse: string): string {
  return page(
    'Verified',
    [
      '<h1>Verified</h1>',
      `<p id="hint" class="hint">Copy this sign-in response back into the application you are signing in to. It works once, within ${RESPONSE_WINDOW_SECONDS / 60} minutes.</p>`,
      '<label for="sigResponse">Sign-in response</label>',
      `<textarea id="sigResponse" readonly rows="6" aria-describedby="hint">${escapeHtml(sigResponse)}</textarea>`,
    ].join('\n'),
  );
}

function expiredPage(returnUrl: string): string {
  return page(
    'Sign-in expired',
    [
      '<h1>This sign-in has expired</h1>',
      '<p role="alert">It took too long, or it was completed already. Go back and sign in again.</p>',
      returnUrl ? `<p><a href="${escapeHtml(returnUrl)}">Back to the application</a></p>` : '',
    ].join('\n'),
  );
}

function notAllowedPage(): string {
  return page(
    'Not allowed',
    '<h1>Not allowed</h1>\n<p role="alert">This page was opened with a return address it may not send you to.</p>',
  );
}

function refusedPage(): string {
  return page(
    'Refused',
    '<h1>Refused</h1>\n<p role="alert">This form can only be sent from its own page.</p>',
  );
}
