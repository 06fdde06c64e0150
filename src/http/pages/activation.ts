import type { FastifyReply, FastifyRequest } from 'fastify';
import Negotiator from 'negotiator';
import { escapeHtml, page, pageCsp } from './html.js';

/**
 * The pages an activation link shows in a browser. The link is opened from a mail, so a
 * person reads the answer: the JSON API answer stays for the clients that ask for JSON.
 */
export type ActivationOutcome =
  | { kind: 'activated'; email: string }
  /** A well-formed link the server no longer honours: used already, or past its lifetime. */
  | { kind: 'used-or-expired' }
  /** No token, a cut-off one, or a redirect the server refuses. */
  | { kind: 'invalid' }
  /** Throttled, overloaded or storage down: the link is still good. */
  | { kind: 'unavailable' };

/**
 * True when the client prefers HTML to JSON (a browser: `text/html,…,*∕*;q=0.8`). No Accept,
 * `*∕*` or `application/json` keep JSON, so API clients get the answers they always had.
 */
export function prefersHtml(request: FastifyRequest): boolean {
  const accept = request.headers.accept;
  if (accept === undefined) return false;
  return new Negotiator({ headers: { accept } }).mediaType(['application/json', 'text/html']) === 'text/html';
}

function body(outcome: ActivationOutcome): { title: string; html: string } {
  switch (outcome.kind) {
    case 'activated':
      return {
        title: 'Account activated',
        html: `<h1>Your account is activated</h1><p>${escapeHtml(outcome.email)} can now sign in.</p><p class="hint">You can close this page and sign in to the application.</p>`,
      };
    case 'used-or-expired':
      return {
        title: 'Activation link expired',
        html: '<h1>This activation link has expired or was already used</h1><p class="error">The account was not activated by this link.</p><p class="hint">If you activated your account already, just sign in. Otherwise sign up again with the same email address: a new link will be mailed to you.</p>',
      };
    case 'invalid':
      return {
        title: 'Invalid activation link',
        html: '<h1>This activation link is not valid</h1><p class="error">The link is incomplete or was changed.</p><p class="hint">Open the link from the activation mail again, or copy the whole address from the mail into your browser.</p>',
      };
    case 'unavailable':
      return {
        title: 'Try again shortly',
        html: '<h1>Activation is not available right now</h1><p class="hint">Your link is still good: open it again in a moment.</p>',
      };
  }
}

/** Sends the page of an outcome with the hosted pages' look and their strict policy. */
export function sendActivationPage(
  reply: FastifyReply,
  status: number,
  outcome: ActivationOutcome,
): FastifyReply {
  const { title, html } = body(outcome);
  return (
    reply
      .status(status)
      .header('content-type', 'text/html; charset=utf-8')
      .header('content-security-policy', pageCsp())
      .header('cache-control', 'no-store')
      // The address holds the one-time token: never hand it on, even to a link of the page.
      .header('referrer-policy', 'no-referrer')
      .header('vary', 'Accept')
      .send(page(title, html))
  );
}
