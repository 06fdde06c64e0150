import type { UserRepository } from '../identity/ports.js';
import type { SignInService } from '../identity/sign-in.js';
import { type App, appQName, isDeactivated, type User } from '../identity/types.js';
import { ENROLLMENT_TTL_MS, type MfaService, type SecondFactor } from '../mfa/index.js';
import type { Clock } from '../shared/clock.js';
import { LatchkeyError } from '../shared/errors.js';
import type { RequestContext } from '../shared/request-context.js';
import { tokenError, type VerifiedPrincipal } from './principal.js';

/** Removing TOTP, or new recovery codes, for a login without TOTP. */
export const TOTP_NOT_ENROLLED = 'TOTP is not enrolled for this login';

export interface AppMfaDeps {
  /** Verifies a principal token of the app (signature, kind, app, expiry, revocation). */
  authenticate: (app: App, token: string) => Promise<VerifiedPrincipal>;
  users: UserRepository;
  mfa: MfaService;
  /** The apps SignInService: re-authentication is throttled in the apps sign-in scope. */
  signIn: SignInService;
  clock: Clock;
}

export interface AppTotpEnrollment {
  secret: string;
  otpauthUri: string;
  qrcode: string;
  expiresInSeconds: number;
}

/**
 * An app login managing its own second factor, authenticated by its principal token:
 * TOTP enrolment and activation, removal, and recovery codes. The factor rules
 * (replay-proof codes, throttling, sealed secrets, hashed recovery codes) are the
 * core's MfaService; enrolling, removing the factor or seeing new recovery codes needs a
 * current factor (SignInService.confirm), as the rpc dialect's totp.* methods do, so a
 * stolen token alone cannot take MFA over, switch it off or mint a way around it.
 */
export class AppMfaService {
  constructor(private readonly deps: AppMfaDeps) {}

  /**
   * A new pending TOTP secret (replacing any pending one), shown once. Needs the login's
   * password when it has one: a stolen token must not enrol the thief's authenticator.
   */
  async enroll(
    app: App,
    token: string,
    factor: SecondFactor | undefined,
    context: RequestContext | undefined,
  ): Promise<AppTotpEnrollment> {
    const user = await this.owner(app, token);
    await this.deps.signIn.confirmEnrolment(user, factor, context);
    // The app in the label tells apart the same person's logins of several apps.
    const enrollment = await this.deps.mfa.enroll(user, `${user.username ?? user.id} (${appQName(app)})`);
    return {
      secret: enrollment.secret,
      otpauthUri: enrollment.uri,
      qrcode: enrollment.qrcode,
      expiresInSeconds: ENROLLMENT_TTL_MS / 1000,
    };
  }

  /** Turns the pending secret into the login's factor once one code of it is proven. */
  async activate(app: App, token: string, secret: string, code: string): Promise<void> {
    const user = await this.owner(app, token);
    await this.deps.mfa.activate(user, secret, code);
  }

  /** Removes TOTP and the recovery codes; needs a current factor (password or TOTP). */
  async eject(
    app: App,
    token: string,
    factor: SecondFactor | undefined,
    context: RequestContext | undefined,
  ): Promise<void> {
    const user = await this.enrolledOwner(app, token);
    await this.deps.signIn.confirm(user, factor, context);
    await this.deps.mfa.remove(user.id);
  }

  /** Ten new recovery codes, shown once; earlier ones stop working. Needs a current factor. */
  async generateRecoveryCodes(
    app: App,
    token: string,
    factor: SecondFactor | undefined,
    context: RequestContext | undefined,
  ): Promise<string[]> {
    const user = await this.enrolledOwner(app, token);
    await this.deps.signIn.confirm(user, factor, context);
    return this.deps.mfa.generateRecoveryCodes(user);
  }

  /** The token's login, alive; a login gone or deactivated since is the same refusal as a bad token. */
  private async owner(app: App, token: string): Promise<User> {
    const principal = await this.deps.authenticate(app, token);
    const user = await this.deps.users.findById(app.id, principal.userId);
    if (!user || isDeactivated(user, this.deps.clock.now())) throw tokenError(false);
    return user;
  }

  /** Checked before the factor, so a login without TOTP spends no code (nor a throttle attempt). */
  private async enrolledOwner(app: App, token: string): Promise<User> {
    const user = await this.owner(app, token);
    if (!(await this.deps.mfa.hasTotp(user.id)))
      throw new LatchkeyError('auth_factor_not_found', TOTP_NOT_ENROLLED);
    return user;
  }
}
