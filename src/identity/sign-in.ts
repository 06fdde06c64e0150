import type { MfaService, SecondFactor } from '../mfa/index.js';
import type { Clock } from '../shared/clock.js';
import { LatchkeyError } from '../shared/errors.js';
import type { RequestContext } from '../shared/request-context.js';
import {
  ACCOUNT_CEILING_POLICY,
  ACCOUNT_POLICY,
  ADDRESS_POLICY,
  type DeviceTokens,
  type Throttle,
  type ThrottleKey,
} from '../throttle/index.js';
import { type AuthMethod, amrOf } from './amr.js';
import type { PasswordHasher } from './passwords.js';
import type { UserRepository } from './ports.js';
import { isDeactivated, type User } from './types.js';
import { loginKey } from './validation.js';

/** A completed sign-in: the user, and how they showed who they are (RFC 8176 `amr`). */
export interface SignedIn {
  user: User;
  amr: AuthMethod[];
}

export type SignInOutcome = 'success' | 'invalid_credentials' | 'not_activated' | 'throttled';

/** An observer of sign-in attempts (audit log, metrics); `userId` when the account exists. */
export type SignInObserver = (
  appId: string,
  outcome: SignInOutcome,
  userId: string | null,
  context: RequestContext | undefined,
) => void;

/** The client signing in: its address, and the device token it presents (cookie or header), if any. */
export interface SignInClient {
  ip: string | null;
  device?: string | null | undefined;
}

/** How verifyPassword finds the account a login names. */
export type LoginLookup = 'username-or-email' | 'exact-username';

/**
 * The password step of the one sign-in flow every dialect uses. Every failure
 * (unknown user, wrong password, deactivated user, user without a password) costs
 * one argon2id verification and ends in the same error, so neither the answer nor
 * its timing tells whether an account exists.
 */
export class SignInService {
  /** Told of every password attempt. */
  onAttempt: SignInObserver = () => {};

  constructor(
    private readonly users: UserRepository,
    private readonly hasher: PasswordHasher,
    private readonly clock: Clock,
    private readonly throttle: Throttle,
    private readonly mfa: MfaService,
    private readonly devices: DeviceTokens,
  ) {}

  /**
   * The one sign-in flow: password, then — when the user has MFA — a second factor.
   * Without one, `auth_factor_required` says which types apply (its `userId` detail is
   * for dialects that continue the flow with a challenge; it never goes on the wire).
   * A factor sent for a user without MFA is ignored, as in the rpc reference.
   * `lookup` is the dialect's reading of a login (see verifyPassword).
   */
  async signIn(input: {
    appId: string;
    login: string;
    password: string;
    client?: SignInClient;
    secondFactor?: SecondFactor | undefined;
    lookup?: LoginLookup;
    /** The request signing in, for the events; none outside one. */
    context: RequestContext | undefined;
  }): Promise<SignedIn> {
    const user = await this.verifyPassword(
      input.appId,
      input.login,
      input.password,
      input.client ?? { ip: null },
      input.lookup,
      input.context,
    );
    const factors = await this.mfa.factors(user.id);
    if (factors.length === 0) return { user, amr: amrOf('password', null) };
    if (!input.secondFactor) {
      throw new LatchkeyError(
        'auth_factor_required',
        `User "${input.login}" has enabled MFA; please specify secondary authentication factor`,
        {
          applicableAuthFactorTypes: factors,
          userId: user.id,
        },
      );
    }
    await this.mfa.verify(user, input.secondFactor, input.context);
    return { user, amr: amrOf('password', input.secondFactor.type) };
  }

  /**
   * Re-authentication before a sensitive change to one's own account (password,
   * emails, MFA): the current password or a current second factor. Throttled like
   * sign-in, so a stolen session cannot be used to guess the password.
   */
  async confirm(
    user: User,
    factor: { type: string; token: string } | undefined,
    context: RequestContext | undefined,
  ): Promise<void> {
    const applicable = [
      ...(user.passwordHash ? ['PASSWORD'] : []),
      ...((await this.mfa.hasTotp(user.id)) ? ['TOTP'] : []),
    ];
    if (!factor) {
      throw new LatchkeyError(
        'auth_factor_required',
        'Please confirm this change with a current authentication factor',
        {
          applicableAuthFactorTypes: applicable,
        },
      );
    }
    if (!applicable.includes(factor.type)) {
      throw new LatchkeyError(
        'auth_factor_not_found',
        `User "${user.id}" has no ${factor.type} authentication factor`,
      );
    }
    if (factor.type === 'TOTP') return this.mfa.verify(user, factor, context);
    // The account's own sign-in counters (this address's, and the account's ceiling):
    // guesses through a stolen session add to the same budgets as sign-in's.
    const keys = this.untrustedKeys(user.appId, subjectOf(user, ''), context?.ip ?? null);
    await this.throttle.attempt(keys, this.clock.now());
    if (!(await this.hasher.verify(user.passwordHash, factor.token))) {
      throw new LatchkeyError('auth_factor_invalid', 'The supplied authentication factor cannot be verified');
    }
    await this.throttle.succeeded(
      [keys[0]!.key],
      keys.slice(1).map((k) => k.key),
    );
  }

  /**
   * Before a login enrols a second factor on its own: the password, when it has one.
   * Otherwise a stolen token could enrol the thief's authenticator, lock the owner out
   * of sign-in and then pass every `confirm` with it. A login without a password has
   * nothing to confirm with, so its token alone enrols (SECURITY.md names the gap).
   */
  async confirmEnrolment(
    user: User,
    factor: { type: string; token: string } | undefined,
    context: RequestContext | undefined,
  ): Promise<void> {
    if (!user.passwordHash) return;
    await this.confirm(user, factor, context);
  }

  /**
   * `lookup` says what a login names: a username or (with an '@') an email address, as
   * the rpc dialect reads it; or exactly one username key, as the apps dialect reads it
   * (its logins may hold '@' and are matched without case folding).
   * Every attempt is counted (see clientKeys) before the password is looked at.
   */
  async verifyPassword(
    appId: string,
    login: string,
    password: string,
    client: SignInClient,
    lookup: LoginLookup | undefined,
    context: RequestContext | undefined,
  ): Promise<User> {
    // Under a sign-in storm, refused before the look-up and the throttle: a 503 costs nothing.
    this.hasher.admit();
    const user =
      lookup === 'exact-username'
        ? await this.users.findByUsernameKey(appId, login)
        : await this.users.findByLogin(appId, login);
    const { keys, reset, refund } = await this.clientKeys(appId, user, login, client);
    try {
      await this.throttle.attempt(keys, this.clock.now());
    } catch (err) {
      this.onAttempt(appId, 'throttled', user?.id ?? null, context);
      throw err;
    }
    const ok = await this.hasher.verify(user?.passwordHash ?? null, password);
    if (!user || !ok || isDeactivated(user, this.clock.now())) {
      this.onAttempt(appId, 'invalid_credentials', user?.id ?? null, context);
      throw new LatchkeyError('invalid_credentials', 'Invalid user or password');
    }
    // Only someone who knows the password learns that the account waits for activation. The
    // attempt stays counted: were the counter cleared here, a later wrong password would show
    // (401 against 429) that the password just chosen at sign-up opened a new, pending account.
    if (!user.isActive) {
      this.onAttempt(appId, 'not_activated', user.id, context);
      throw new LatchkeyError('user_not_activated', 'Not Activated');
    }
    await this.throttle.succeeded([reset], refund);
    if (user.passwordHash && this.hasher.needsRehash(user.passwordHash)) {
      const passwordHash = await this.hasher.hash(password);
      await this.users.update(appId, user.id, { passwordHash }, this.clock.now());
    }
    this.onAttempt(appId, 'success', user.id, context);
    return user;
  }

  /**
   * A device token for a client that just signed in to `user` (docs/deploy.md, "Sign-in
   * throttling"): it keeps the device id the client already held for this account, so its
   * allowance stays its own, and starts the token's lifetime again.
   */
  async rememberDevice(appId: string, userId: string, client: SignInClient): Promise<string> {
    const known = await this.devices.verify(appId, client.device);
    return this.devices.issue(appId, userId, known?.userId === userId ? known.deviceId : undefined);
  }

  /**
   * Which client of the account is asking, for counters kept per account and client: the
   * device, when the client presents a device token of this very account; otherwise its
   * address. An unknown login goes the same way (no token can name it), so it is counted
   * exactly like a known one.
   */
  async clientOf(appId: string, user: User | null, client: SignInClient): Promise<string> {
    const device = await this.knownDevice(appId, user, client);
    if (device) return `device:${device}`;
    return `ip:${client.ip ? this.throttle.address(client.ip) : 'none'}`;
  }

  /** The device id of a device token the client presents for this very account, else null. */
  private async knownDevice(appId: string, user: User | null, client: SignInClient): Promise<string | null> {
    const device = await this.devices.verify(appId, client.device);
    return device && user && device.userId === user.id ? device.deviceId : null;
  }

  /**
   * The counters one password attempt draws on (OWASP's device cookies). A known device
   * of the account: its own allowance, nothing else, so no stranger can lock it out.
   * Anyone else: this address's allowance on this account, the account's ceiling (which
   * only a guess spread over many addresses reaches), and the address's budget across all
   * accounts (spraying). A success clears the client's own counter and takes back its
   * attempt on the others, so one good password does not wipe an attack's failures.
   */
  private async clientKeys(
    appId: string,
    user: User | null,
    login: string,
    client: SignInClient,
  ): Promise<{ keys: ThrottleKey[]; reset: string; refund: string[] }> {
    const subject = subjectOf(user, `${appId}:unknown:${loginKey(login)}`);
    const device = await this.knownDevice(appId, user, client);
    if (device) {
      const key = `${subject}:device:${device}`;
      return { keys: [{ key, policy: ACCOUNT_POLICY }], reset: key, refund: [] };
    }
    const keys = this.untrustedKeys(appId, subject, client.ip);
    return { keys, reset: keys[0]!.key, refund: keys.slice(1).map((k) => k.key) };
  }

  /** The counters of a client that is not a known device: (account, address) first, then the ceilings. */
  private untrustedKeys(appId: string, subject: string, ip: string | null): ThrottleKey[] {
    const address = ip ? this.throttle.address(ip) : null;
    const keys: ThrottleKey[] = [
      { key: `${subject}:ip:${address ?? 'none'}`, policy: ACCOUNT_POLICY },
      { key: subject, policy: ACCOUNT_CEILING_POLICY },
    ];
    if (address) keys.push({ key: `${appId}:ip:${address}`, policy: ADDRESS_POLICY });
    return keys;
  }
}

/**
 * The password-guess counters of one account, whichever of its logins was typed. An
 * unknown login (`unknown`) gets counters of the same cost, in step with its login key,
 * so the answer's timing does not tell the two apart.
 */
function subjectOf(user: User | null, unknown: string): string {
  return user ? `${user.appId}:account:${user.id}` : unknown;
}
