import type { UserRepository } from '../identity/ports.js';
import type { SignInService } from '../identity/sign-in.js';
import { type ConsumedTokenRepository, MfaChallengeService } from '../mfa/challenge.js';
import type { MfaService } from '../mfa/index.js';
import type { Clock } from '../shared/clock.js';
import { type AttemptLimiter, Throttle } from '../throttle/index.js';
import type { TokenService } from '../tokens/jwt.js';
import { AliasService } from './aliases.js';
import { LoginLinkService } from './login-links.js';
import type { AliasRepository, LoginLinkRepository } from './ports.js';
import { SpaSignIn } from './sign-in.js';

export { AliasService, checkSurveyId, isSurveyId, userNameKey } from './aliases.js';
export { LoginLinkService } from './login-links.js';
export type { AliasRepository, LoginLinkRepository } from './ports.js';
export { type SpaGrant, type SpaOutcome, SpaSignIn } from './sign-in.js';
export type { Alias, AliasQuery, LoginLink, LoginLinkQuery, SpaMethod } from './types.js';

/** The spa dialect's core: survey aliases, login links, the hosted MFA challenge, and its sign-ins. */
export interface SpaCore {
  aliases: AliasService;
  loginLinks: LoginLinkService;
  challenges: MfaChallengeService;
  signIn: SpaSignIn;
}

export function createSpaCore(deps: {
  repos: {
    aliases: AliasRepository;
    loginLinks: LoginLinkRepository;
    consumedTokens: ConsumedTokenRepository;
  };
  users: UserRepository;
  signIn: SignInService;
  mfa: MfaService;
  tokens: TokenService;
  limiter: AttemptLimiter;
  /** How per-address counters key a client (IPv6 by its prefix). */
  throttleOptions: { ipv6PrefixLength: number };
  clock: Clock;
  clockSkewSeconds: number;
}): SpaCore {
  const aliases = new AliasService(deps.repos.aliases, deps.users, deps.clock);
  const loginLinks = new LoginLinkService(
    deps.repos.loginLinks,
    deps.users,
    new Throttle(deps.limiter, 'login-link', deps.throttleOptions),
    deps.clock,
  );
  const challenges = new MfaChallengeService(
    deps.tokens,
    deps.mfa,
    deps.users,
    deps.repos.consumedTokens,
    deps.clock,
    deps.clockSkewSeconds,
  );
  const signIn = new SpaSignIn({
    signIn: deps.signIn,
    users: deps.users,
    mfa: deps.mfa,
    aliases,
    links: loginLinks,
    challenges,
  });
  return { aliases, loginLinks, challenges, signIn };
}
