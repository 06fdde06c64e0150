import { type AuthMethod, amrOf, readAmr } from '../identity/amr.js';
import type { UserRepository } from '../identity/ports.js';
import { isDeactivated, type User } from '../identity/types.js';
import type { Clock } from '../shared/clock.js';
import { isLatchkeyError, LatchkeyError } from '../shared/errors.js';
import { newId } from '../shared/ids.js';
import type { RequestContext } from '../shared/request-context.js';
import type { TokenService } from '../tokens/jwt.js';
import type { MfaService, SecondFactor } from './service.js';

/** Atomic "use once" for the ids of signed tokens: holds across every node sharing the store. */
export interface ConsumedTokenRepository {
  /** Records `id` as used; false when it was used before. */
  consume(id: string, expiresAt: number): Promise<boolean>;
  /** Forgets ids whose tokens have expired anyway; returns how many. */
  deleteExpired(now: number): Promise<number>;
}

/** What the password step established, carried through the challenge to the session. */
export interface ChallengeContext {
  /** How the first factor was shown: 'password', 'alias' or 'login-link'. */
  method: string;
  /** The survey an alias or login-link sign-in was for. */
  surveyId: string | null;
}

/** How long a challenge can be answered (the whole window, clock-skew tolerance included). */
export const CHALLENGE_WINDOW_SECONDS = 300;
/** How long the answer (sigResponse) can be redeemed: the browser goes straight back with it. */
export const RESPONSE_WINDOW_SECONDS = 120;

/**
 * The hosted second-factor step (the spa dialect's `{mfa: {request, host}}`), in the
 * spirit of Duo's sig_request/sig_response but without a third party:
 *
 * - `issue` runs only after the password (or alias, or login link) was verified and
 *   signs an `mfa-challenge` token bound to the user and to this attempt (a random id).
 * - `answer` verifies a TOTP or recovery code with MfaService (replay-proof and
 *   throttled), uses the attempt up, and signs an `mfa-response` (the sigResponse)
 *   naming that attempt.
 * - `redeem` accepts a sigResponse once, atomically in storage.
 *
 * Neither token is accepted anywhere else: each kind is its own `typ`.
 */
export class MfaChallengeService {
  private consumedSinceCleanup = 0;

  constructor(
    private readonly tokens: TokenService,
    private readonly mfa: MfaService,
    private readonly users: UserRepository,
    private readonly consumed: ConsumedTokenRepository,
    private readonly clock: Clock,
    private readonly clockSkewSeconds: number,
  ) {}

  async issue(
    audience: string,
    user: User,
    context: ChallengeContext,
  ): Promise<{ request: string; expiresAtMs: number }> {
    const expiresAtMs = this.expiry(CHALLENGE_WINDOW_SECONDS);
    const request = await this.tokens.sign(
      'mfa-challenge',
      { ctx: context },
      { audience, subject: user.id, id: newId(), expiresAtMs },
    );
    return { request, expiresAtMs };
  }

  /**
   * Checks a code against the challenge's user and returns the signed answer. The code
   * is checked first, so a mistyped code leaves the attempt open for another try.
   */
  async answer(
    audience: string,
    appId: string,
    request: string,
    code: string,
    context: RequestContext | undefined,
  ): Promise<{ sigResponse: string; expiresAtMs: number }> {
    const challenge = await this.open(request, 'mfa-challenge', audience);
    const user = await this.liveUser(appId, challenge.userId);
    const factor = factorOf(code);
    await this.mfa.verify(user, factor, context);
    if (!(await this.consume(`mfa-challenge:${challenge.id}`, challenge.expiresAtMs))) throw expiredAttempt();
    const expiresAtMs = this.expiry(RESPONSE_WINDOW_SECONDS);
    const sigResponse = await this.tokens.sign(
      'mfa-response',
      {
        ctx: challenge.context,
        att: challenge.id,
        amr: amrOf(firstFactorOf(challenge.context), factor.type),
      },
      { audience, subject: user.id, id: newId(), expiresAtMs },
    );
    return { sigResponse, expiresAtMs };
  }

  /** The user and context a sigResponse vouches for; it works once. */
  async redeem(
    audience: string,
    appId: string,
    sigResponse: string,
  ): Promise<{ user: User; context: ChallengeContext; amr: AuthMethod[] }> {
    const response = await this.open(sigResponse, 'mfa-response', audience);
    const amr = readAmr(response.amr);
    if (!amr) throw expiredAttempt();
    if (!(await this.consume(`mfa-response:${response.id}`, response.expiresAtMs))) throw expiredAttempt();
    const user = await this.liveUser(appId, response.userId);
    return { user, context: response.context, amr };
  }

  /** Whether a challenge token is one this service issued and still open (for the hosted page). */
  async check(audience: string, request: string): Promise<{ userId: string; expiresAtMs: number }> {
    const challenge = await this.open(request, 'mfa-challenge', audience);
    return { userId: challenge.userId, expiresAtMs: challenge.expiresAtMs };
  }

  /** The verifier accepts `clockSkewSeconds` past `exp`; the window is the whole time, tolerance included. */
  private lifetimeMs(windowSeconds: number): number {
    return Math.max(30, windowSeconds - this.clockSkewSeconds) * 1000;
  }

  /** JWT times are whole seconds: round down so the answered expiry is the token's `exp` exactly. */
  private expiry(windowSeconds: number): number {
    return Math.floor((this.clock.now() + this.lifetimeMs(windowSeconds)) / 1000) * 1000;
  }

  private async open(token: string, kind: 'mfa-challenge' | 'mfa-response', audience: string) {
    let verified: Awaited<ReturnType<TokenService['verify']>>;
    try {
      verified = await this.tokens.verify(token, [kind], { audience });
    } catch {
      throw expiredAttempt();
    }
    const { sub, jti, ctx, amr } = verified.claims;
    if (typeof sub !== 'string' || typeof jti !== 'string' || !isContext(ctx)) throw expiredAttempt();
    return { userId: sub, id: jti, context: ctx, amr, expiresAtMs: verified.expiresAtMs };
  }

  private async liveUser(appId: string, userId: string): Promise<User> {
    const user = await this.users.findById(appId, userId);
    if (!user?.isActive || isDeactivated(user, this.clock.now())) throw expiredAttempt();
    return user;
  }

  private async consume(id: string, expiresAtMs: number): Promise<boolean> {
    // The row must outlive the token's acceptance, tolerance included.
    const used = await this.consumed.consume(id, expiresAtMs + this.clockSkewSeconds * 1000);
    if (++this.consumedSinceCleanup >= 100) {
      this.consumedSinceCleanup = 0;
      await this.consumed.deleteExpired(this.clock.now()).catch(() => {});
    }
    return used;
  }
}

/** Six digits are a TOTP code; anything else is read as a recovery code (whose check ignores case, spaces and dashes). */
export function factorOf(code: string): SecondFactor {
  const compact = code.replace(/\s/g, '');
  return /^\d{6}$/.test(compact) ? { type: 'TOTP', token: compact } : { type: 'RECOVERY_CODE', token: code };
}

/** An alias's secret is the password; a login link is its own kind of first factor. */
function firstFactorOf(context: ChallengeContext) {
  return context.method === 'login-link' ? 'login-link' : 'password';
}

function isContext(value: unknown): value is ChallengeContext {
  if (!value || typeof value !== 'object') return false;
  const v = value as Record<string, unknown>;
  return typeof v['method'] === 'string' && (v['surveyId'] === null || typeof v['surveyId'] === 'string');
}

function expiredAttempt(): LatchkeyError {
  return new LatchkeyError(
    'token_invalid',
    'This sign-in attempt has expired or was completed; sign in again',
  );
}

/** True for the errors a wrong or throttled code gives (the page shows them next to the form). */
export function isCodeError(err: unknown): boolean {
  return isLatchkeyError(err) && (err.code === 'auth_factor_invalid' || err.code === 'auth_factor_not_found');
}
