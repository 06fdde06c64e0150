import { checkPasswordPolicy } from '../identity/password-policy.js';
import type { PasswordHasher } from '../identity/passwords.js';
import type { UserRepository } from '../identity/ports.js';
import type { SignInService } from '../identity/sign-in.js';
import { type App, isDeactivated, type User } from '../identity/types.js';
import type { UserService } from '../identity/users.js';
import { isEmailAddress } from '../identity/validation.js';
import type { SecondFactor } from '../mfa/index.js';
import type { ClientInfo, SessionService } from '../session/index.js';
import type { Clock } from '../shared/clock.js';
import { isLatchkeyError, LatchkeyError } from '../shared/errors.js';
import { newId } from '../shared/ids.js';
import type { RequestContext } from '../shared/request-context.js';
import type { Throttle } from '../throttle/index.js';
import type { TokenService } from '../tokens/jwt.js';
import type { EmailCodeService } from './email-codes.js';
import { checkLogin, newDeviceCredentials } from './logins.js';
import { CHANGE_PASSWORD_POLICY, DEVICE_POLICY } from './policies.js';
import type { ProfileRepository } from './ports.js';
import {
  type IssuedPrincipal,
  type PrincipalData,
  signPrincipal,
  tokenError,
  verifyPrincipal,
} from './principal.js';
import type { ProvisioningWorker } from './provisioning.js';
import { type Profile, SUBJECT_KIND, type SubjectKind } from './types.js';

export interface AppLoginDeps {
  users: UserRepository;
  userService: UserService;
  /** Sign-in with the apps throttle scope. */
  signIn: SignInService;
  hasher: PasswordHasher;
  profiles: ProfileRepository;
  worker: ProvisioningWorker;
  emailCodes: EmailCodeService;
  sessions: SessionService;
  tokens: TokenService;
  /** The `apps` throttle scope (change-password, devices). */
  throttle: Throttle;
  clock: Clock;
  tokenTtlSeconds: number;
}

export interface NewLogin {
  login: string;
  password: string;
  email: string | null;
  fullName: string | null;
  subjectKind: SubjectKind;
}

const ALREADY_EXISTS = 'sign-in identifier already exists';

/**
 * App logins: sign-in to a principal token, refresh, sign-out, sign-up with a verified
 * email, password change and devices. A login is the user's username in its app,
 * matched exactly; every credential failure is the same `invalid_credentials`.
 */
export class AppLoginService {
  constructor(private readonly deps: AppLoginDeps) {}

  /**
   * The core's one sign-in flow: the password first (so a wrong password on a login
   * that is not ready is a 401, as in the reference, and says nothing about MFA), then
   * the second factor of a login with MFA, then the profile: failed → profile_failed,
   * not ready → profile_not_ready. A login with MFA has a ready profile anyway: it
   * enrolled with a principal token, which only a ready profile gets.
   */
  async login(
    app: App,
    login: string,
    password: string,
    client: ClientInfo,
    secondFactor: SecondFactor | undefined,
    context: RequestContext | undefined,
  ): Promise<IssuedPrincipal & { userId: string }> {
    const { signIn, sessions, tokens, clock } = this.deps;
    const { user, amr } = await signIn.signIn({
      appId: app.id,
      login,
      password,
      client,
      secondFactor,
      lookup: 'exact-username',
      context,
    });
    const profile = await this.readyProfile(user);
    const data: PrincipalData = {
      login: user.username ?? login,
      alias: '',
      subjectKind: profile.subjectKind,
      profileWSID: profile.wsid,
    };
    let issued: IssuedPrincipal | null = null;
    await sessions.start(
      {
        appId: app.id,
        userId: user.id,
        kind: 'apps',
        data: { ...data },
        amr,
        client,
        userDeactivatesAt: user.deactivatedAt,
      },
      async (credentialId, s) => {
        issued = await signPrincipal(tokens, app, s, credentialId, clock.now(), this.deps.tokenTtlSeconds);
        return { value: issued.value, secretHash: null };
      },
    );
    return { ...issued!, userId: user.id };
  }

  /**
   * A new principal token with the same claims, in the same session. The presented
   * credential is rotated: concurrent refreshes within the grace window get the same
   * successor; refreshing a rotated token after it is taken for theft and ends the session.
   */
  async refresh(app: App, token: string, context: RequestContext | undefined): Promise<IssuedPrincipal> {
    const { sessions, tokens, clock, users } = this.deps;
    const principal = await this.authenticate(app, token);
    let outcome: Awaited<ReturnType<SessionService['refresh']>>;
    try {
      outcome = await sessions.refresh(
        principal.credentialId,
        undefined,
        async (id, session) => {
          const issued = await signPrincipal(
            tokens,
            app,
            session,
            id,
            clock.now(),
            this.deps.tokenTtlSeconds,
          );
          return { value: issued.value, secretHash: null };
        },
        {
          beforeRotate: async (session) => {
            if (session.appId !== app.id || session.kind !== 'apps') throw tokenError(false);
            const user = await users.findById(app.id, session.userId);
            if (!user || isDeactivated(user, clock.now())) throw tokenError(false);
          },
          context,
        },
      );
    } catch (err) {
      if (isLatchkeyError(err) && (err.code === 'session_not_found' || err.code === 'token_invalid'))
        throw tokenError(false);
      throw err;
    }
    // Read back from the token itself: a request inside the grace window may have
    // received another request's successor, and must answer exactly like it.
    const successor = await this.authenticate(app, outcome.value);
    return {
      value: outcome.value,
      expiresInSeconds: successor.expiresInSeconds,
      profileWSID: Number(successor.claims['ProfileWSID'] ?? 0),
    };
  }

  /** Ends the session of a principal token (and so every token refreshed from it). */
  async signOut(app: App, token: string, context: RequestContext | undefined): Promise<void> {
    const principal = await this.authenticate(app, token);
    await this.deps.sessions.revoke(principal.sessionId, 'sign_out', { context });
  }

  authenticate(app: App, token: string) {
    return verifyPrincipal(this.deps.tokens, (sid) => this.deps.sessions.isRevoked(sid), app, token);
  }

  /**
   * At most one call a minute per login and client (failed calls count too), then the old
   * password like a sign-in (throttled alike); a change ends every session of the login.
   */
  async changePassword(
    app: App,
    login: string,
    oldPassword: string,
    newPassword: string,
    client: ClientInfo,
    secondFactor: SecondFactor | undefined,
    context: RequestContext | undefined,
  ): Promise<void> {
    const { throttle, signIn, userService, users, clock } = this.deps;
    checkPasswordPolicy(newPassword, { username: login, emails: [] });
    // One call a minute per login and client (its known device, else its address): a
    // stranger's calls never use up the owner's minute. An unknown login is counted alike.
    const who = await signIn.clientOf(app.id, await users.findByUsernameKey(app.id, login), client);
    await throttle.attempt(
      [{ key: `${app.id}:change-password:${login}:${who}`, policy: CHANGE_PASSWORD_POLICY }],
      clock.now(),
    );
    // The whole sign-in flow, second factor included: the old password alone must not
    // let someone who learnt it lock the owner of an MFA login out.
    const { user } = await signIn.signIn({
      appId: app.id,
      login,
      password: oldPassword,
      client,
      secondFactor,
      lookup: 'exact-username',
      context,
    });
    await userService.update(app.id, user.id, { password: newPassword }, { context });
  }

  /** Sign-up: the verified address becomes the login (and the primary, verified email). */
  async signUp(app: App, verifiedEmailToken: string, password: string, displayName: string): Promise<User> {
    const email = await this.deps.emailCodes.verifiedEmail(app, verifiedEmailToken);
    return this.createLogin(app, {
      login: email,
      password,
      email,
      fullName: displayName === '' ? null : displayName,
      subjectKind: SUBJECT_KIND.user,
    });
  }

  /** A device: generated login and password, SubjectKind 2. Throttled per client address. */
  async createDevice(app: App, client: ClientInfo): Promise<{ login: string; password: string }> {
    if (client.ip) {
      await this.deps.throttle.attempt(
        [{ key: `${app.id}:devices:${this.deps.throttle.address(client.ip)}`, policy: DEVICE_POLICY }],
        this.deps.clock.now(),
      );
    }
    const credentials = newDeviceCredentials();
    await this.createLogin(app, {
      ...credentials,
      email: null,
      fullName: null,
      subjectKind: SUBJECT_KIND.device,
    });
    return credentials;
  }

  /** Creates a login with the reference's login rules and queues its profile workspace. */
  async createLogin(app: App, input: NewLogin): Promise<User> {
    const { users, hasher, clock } = this.deps;
    checkLogin(input.login);
    checkPasswordPolicy(input.password, {
      username: input.login,
      emails: input.email === null ? [] : [input.email],
    });
    if (input.email !== null && !isEmailAddress(input.email))
      throw new LatchkeyError('invalid_input', `invalid email address: ${input.email}`);
    const passwordHash = await hasher.hash(input.password);
    let user: User;
    try {
      user = await users.create(
        {
          appId: app.id,
          username: input.login,
          fullName: input.fullName,
          picture: null,
          passwordHash,
          isActive: true,
          emails: input.email === null ? [] : [{ address: input.email, isVerified: true, isPrimary: true }],
        },
        clock.now(),
      );
    } catch (err) {
      if (isLatchkeyError(err) && (err.code === 'duplicate_username' || err.code === 'duplicate_email'))
        throw new LatchkeyError('conflict', ALREADY_EXISTS);
      throw err;
    }
    await this.startProvisioning(user, input.subjectKind);
    return user;
  }

  /** The login's profile, ready; otherwise profile_failed / profile_not_ready. */
  private async readyProfile(user: User): Promise<Profile & { wsid: number }> {
    // A user created outside this dialect (the admin API) gets its profile on first sign-in.
    const profile =
      (await this.deps.profiles.findProfile(user.appId, user.id)) ??
      (await this.startProvisioning(user, SUBJECT_KIND.user));
    if (profile.status === 'failed') {
      throw new LatchkeyError(
        'profile_failed',
        `the login profile is created with an error: ${profile.error ?? 'unknown error'}`,
      );
    }
    if (profile.status !== 'ready' || profile.wsid === null) {
      throw new LatchkeyError('profile_not_ready', 'profile workspace is not yet ready, try again later');
    }
    return profile as Profile & { wsid: number };
  }

  /** Records the profile and its provisioning job (one transaction) and wakes the worker. */
  private async startProvisioning(user: User, subjectKind: SubjectKind): Promise<Profile> {
    const { profiles, worker, clock } = this.deps;
    const now = clock.now();
    const profile: Profile = {
      userId: user.id,
      appId: user.appId,
      login: user.username ?? '',
      subjectKind,
      wsid: null,
      status: 'pending',
      error: null,
      createdAt: now,
      updatedAt: now,
    };
    const created = await profiles.createWithJob(profile, {
      id: newId(),
      appId: user.appId,
      userId: user.id,
      kind: 'provision-profile',
      status: 'pending',
      attempts: 0,
      runAfter: now,
      lockedUntil: null,
      lastError: null,
      createdAt: now,
      updatedAt: now,
    });
    if (created) worker.kick();
    return created ? profile : ((await profiles.findProfile(user.appId, user.id)) ?? profile);
  }
}
