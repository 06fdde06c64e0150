import { type AuthMethod, amrOf } from '../identity/amr.js';
import type { UserRepository } from '../identity/ports.js';
import type { SignInService } from '../identity/sign-in.js';
import { type App, appQName, primaryEmail, type User } from '../identity/types.js';
import type { ChallengeContext, MfaChallengeService } from '../mfa/challenge.js';
import type { MfaService } from '../mfa/index.js';
import { isLatchkeyError, LatchkeyError } from '../shared/errors.js';
import { sha256Hex } from '../shared/ids.js';
import type { RequestContext } from '../shared/request-context.js';
import { type AliasService, userNameKey } from './aliases.js';
import type { LoginLinkService } from './login-links.js';
import type { SpaMethod } from './types.js';

/** A completed sign-in: whom to start a session for, and what the access tokens should say. */
export interface SpaGrant {
  user: User;
  method: SpaMethod;
  /** The survey an alias or login-link sign-in was for; null for email sign-ins and unbound links. */
  surveyId: string | null;
  /** How the user showed who they are (RFC 8176): `pwd` or `link`, then `otp` and `mfa` after a second factor. */
  amr: AuthMethod[];
}

export type SpaOutcome =
  | { kind: 'granted'; grant: SpaGrant }
  /** The first factor was right and the user has MFA: no session yet, only the signed challenge. */
  | { kind: 'challenge'; request: string; expiresAtMs: number };

interface Deps {
  signIn: SignInService;
  users: UserRepository;
  mfa: MfaService;
  aliases: AliasService;
  links: LoginLinkService;
  challenges: MfaChallengeService;
}

/**
 * The spa dialect's sign-ins, on top of the one core flow (SignInService.signIn:
 * password, then the second factor). For a user with MFA the first factor yields a
 * signed challenge instead of a session, and a session only follows the answer of
 * the hosted MFA page (`verify`): a password — or an alias, or a login link — alone
 * never gets a token for such a user.
 */
export class SpaSignIn {
  constructor(private readonly deps: Deps) {}

  async password(
    app: App,
    input: {
      email: string;
      password: string;
      client: { ip: string | null };
      context: RequestContext | undefined;
    },
  ): Promise<SpaOutcome> {
    return this.throughCoreFlow(
      app,
      { ...input, login: input.email },
      { method: 'password', surveyId: null },
    );
  }

  /**
   * A survey alias names a user for one survey only: the alias is looked up in the
   * survey the request names, so another survey's name never matches. The password
   * check is the core flow's, with the user's own login, so attempts on an alias count
   * against that account; an alias that names nobody still costs one (dummy) password
   * verification under a login no account can have, so timing and answer are alike.
   */
  async alias(
    app: App,
    input: {
      surveyId: string;
      userName: string;
      password: string;
      client: { ip: string | null };
      context: RequestContext | undefined;
    },
  ): Promise<SpaOutcome> {
    const alias = await this.deps.aliases.resolve(app.id, input.surveyId, input.userName);
    const owner = alias ? await this.deps.users.findById(app.id, alias.userId) : null;
    const login = (owner && loginOf(owner)) ?? unmatchableLogin(input.surveyId, input.userName);
    const outcome = await this.throughCoreFlow(
      app,
      { ...input, login },
      { method: 'alias', surveyId: input.surveyId },
    );
    // The login resolved to the alias's own user (logins are unique); checked all the same.
    if (outcome.kind === 'granted' && outcome.grant.user.id !== alias?.userId) throw invalid();
    return outcome;
  }

  /** A login link is a first factor like a password: an MFA user still answers the challenge. */
  async loginLink(
    app: App,
    input: { token: string; client: { ip: string | null }; context: RequestContext | undefined },
  ): Promise<SpaOutcome> {
    const { link, user } = await this.deps.links.redeem(app.id, input.token, input.client, input.context);
    const challenge: ChallengeContext = { method: 'login-link', surveyId: link.surveyId };
    if ((await this.deps.mfa.factors(user.id)).length > 0) return this.challenge(app, user, challenge);
    return {
      kind: 'granted',
      grant: { user, method: 'login-link', surveyId: link.surveyId, amr: amrOf('login-link', null) },
    };
  }

  /** Redeems the hosted page's answer (once) and completes the sign-in it belongs to. */
  async verify(app: App, sigResponse: string): Promise<SpaGrant> {
    const { user, context, amr } = await this.deps.challenges.redeem(appQName(app), app.id, sigResponse);
    return { user, method: context.method as SpaMethod, surveyId: context.surveyId, amr };
  }

  private async throughCoreFlow(
    app: App,
    input: {
      login: string;
      password: string;
      client: { ip: string | null };
      context: RequestContext | undefined;
    },
    challenge: ChallengeContext,
  ): Promise<SpaOutcome> {
    const { login, password, client, context } = input;
    try {
      const { user, amr } = await this.deps.signIn.signIn({
        appId: app.id,
        login,
        password,
        client,
        context,
      });
      return {
        kind: 'granted',
        grant: { user, method: challenge.method as SpaMethod, surveyId: challenge.surveyId, amr },
      };
    } catch (err) {
      // The password was right and a second factor is due: the core says whose.
      if (
        isLatchkeyError(err) &&
        err.code === 'auth_factor_required' &&
        typeof err.details['userId'] === 'string'
      ) {
        const user = await this.deps.users.findById(app.id, err.details['userId']);
        if (!user) throw invalid();
        return this.challenge(app, user, challenge);
      }
      throw err;
    }
  }

  private async challenge(app: App, user: User, context: ChallengeContext): Promise<SpaOutcome> {
    const { request, expiresAtMs } = await this.deps.challenges.issue(appQName(app), user, context);
    return { kind: 'challenge', request, expiresAtMs };
  }
}

function loginOf(user: User): string | null {
  return user.username ?? primaryEmail(user);
}

/**
 * No account can have this login: ':' is not allowed in usernames and there is no '@'.
 * Built from the user name as the alias look-up reads it (userNameKey), so that every
 * spelling the look-up takes for one alias shares one attempt counter whether the alias
 * exists or not: a counter per spelling would let a 401 after another spelling's 429
 * reveal that the alias is missing. The survey id is matched exactly, so used as sent.
 */
function unmatchableLogin(surveyId: string, userName: string): string {
  return `alias:${sha256Hex(`${surveyId}\n${userNameKey(userName)}`).slice(0, 40)}`;
}

function invalid(): LatchkeyError {
  return new LatchkeyError('invalid_credentials', 'Invalid user or password');
}
