import type { MailService } from '../mail/index.js';
import type { Clock } from '../shared/clock.js';
import type { DeferredWork } from '../shared/deferred-work.js';
import { LatchkeyError } from '../shared/errors.js';
import { newId, newSecret, sha256Hex } from '../shared/ids.js';
import type { Throttle, ThrottlePolicy } from '../throttle/index.js';
import { checkPasswordPolicy } from './password-policy.js';
import type { PasswordHasher } from './passwords.js';
import type { UserRepository } from './ports.js';
import { type App, isDeactivated, type User } from './types.js';
import { checkEmails, checkUsername, emailKey } from './validation.js';

export interface ActivationToken {
  id: string;
  appId: string;
  userId: string;
  email: string;
  /** SHA-256 (hex) of the secret in the link. */
  tokenHash: string;
  /**
   * The password of the sign-up that sent this link, set when the link is used: the
   * address's owner, by using the link of their own sign-up, decides the password, and an
   * earlier sign-up by someone else for the same address does not (null: keep the account's).
   */
  passwordHash: string | null;
  createdAt: number;
  expiresAt: number;
}

export interface ActivationTokenRepository {
  create(token: ActivationToken): Promise<void>;
  /**
   * Marks the token used when it exists, is unused and has not expired, and returns
   * it; null otherwise. Uses up the same user's other links with it, atomically: of
   * concurrent calls with any of one user's links, exactly one wins.
   */
  consume(tokenHash: string, now: number): Promise<ActivationToken | null>;
  /** Deletes tokens that expired before `before` (used or not); returns how many. */
  deleteExpiredBefore(before: number): Promise<number>;
}

/**
 * Sign-ups per client address and per address signed up: every attempt counts (there
 * is no "failure" to tell apart), so a script cannot create accounts in bulk from one
 * place nor flood one mailbox with activation mail. Counters forget after an hour.
 */
export const SIGNUP_ADDRESS_POLICY: ThrottlePolicy = {
  freeFailures: 20,
  baseDelayMs: 1000,
  maxDelayMs: 15 * 60_000,
  windowMs: 60 * 60_000,
};
export const SIGNUP_EMAIL_POLICY: ThrottlePolicy = {
  freeFailures: 3,
  baseDelayMs: 60_000,
  maxDelayMs: 60 * 60_000,
  windowMs: 60 * 60_000,
};

export interface RegistrationSettings {
  /** The name mails give the service (the issuer, as in the rpc dialect's mails), not the app's bare name (`default`). */
  appName: string;
  activationTtlMs: number;
  usernamesEnabled: boolean;
  /** The link a mail carries for a token: built from the configured public URL, never a request's Host. */
  activationLink: (token: string, redirect: string | null) => string;
}

export interface SignUpInput {
  app: App;
  email: string;
  password: string;
  /** Where /activate sends the browser afterwards (already checked against the allowed origins). */
  redirect: string | null;
  client: { ip: string | null };
  /**
   * Settles once the answer has been sent: the address-dependent work starts only then,
   * so none of it (SQLite writes run on the event loop) can delay or shape the answer.
   * Defaults to the next turn of the event loop.
   */
  answered?: Promise<unknown>;
}

/** What a sign-up did; never on the wire (the answer is the same in every case). */
export type SignUpOutcome = 'created' | 'resent' | 'exists';

const TOKEN = /^[A-Za-z0-9_-]{43}$/;

/**
 * Self-registration with an emailed, one-time activation link. The answer to a sign-up
 * never tells whether the address already had an account, neither by its content nor
 * by its timing:
 *
 * - before answering, only what does not depend on the address's existence runs: the
 *   throttle, the checks of the input, and the password hash (the costly part);
 * - after answering, in the background: a new address gets a pending account and an
 *   activation mail; an address whose account still waits for activation gets a fresh
 *   link carrying this sign-up's password (the account's is left alone until a link is
 *   used); an activated account gets nothing.
 *
 * A background failure is reported through `onError` (the caller's answer is already
 * gone; the user signs up again). `idle()` waits for the background work.
 */
export class RegistrationService {
  onSignUp: (appId: string, outcome: SignUpOutcome) => void = () => {};
  onError: (err: unknown) => void = () => {};
  private readonly pending = new Set<Promise<void>>();
  private lastPruneAt = 0;

  constructor(
    private readonly hasher: Pick<PasswordHasher, 'hash'>,
    private readonly userRepo: UserRepository,
    private readonly tokens: ActivationTokenRepository,
    private readonly mail: Pick<MailService, 'enqueue'>,
    private readonly throttle: Throttle,
    private readonly clock: Clock,
    private readonly settings: RegistrationSettings,
    /** Where the part that depends on the address's existence runs (shared/deferred-work.ts). */
    private readonly deferred: DeferredWork,
  ) {}

  async signUp(input: SignUpInput): Promise<void> {
    const { app } = input;
    const keys = [{ key: `${app.id}:${emailKey(input.email)}`, policy: SIGNUP_EMAIL_POLICY }];
    if (input.client.ip)
      keys.push({
        key: `${app.id}:ip:${this.throttle.address(input.client.ip)}`,
        policy: SIGNUP_ADDRESS_POLICY,
      });
    await this.throttle.attempt(keys, this.clock.now());
    checkEmails([{ address: input.email, isPrimary: true, isVerified: false }]);
    checkPasswordPolicy(input.password, { username: null, emails: [input.email] });
    const passwordHash = await this.hasher.hash(input.password);
    const answered = input.answered ?? new Promise((resolve) => setImmediate(resolve));
    // After the answer has left, and then on the deferred-work lane's tick: creating an
    // account and mailing its link costs more than finding the address taken, and right
    // after the answer that difference would delay the caller's next request.
    const work = answered
      .then(() =>
        this.deferred.run(async () => {
          this.onSignUp(app.id, await this.register(app, input.email, passwordHash, input.redirect));
        }),
      )
      .catch((err: unknown) => this.onError(err))
      .finally(() => this.pending.delete(work));
    this.pending.add(work);
  }

  /** Resolves when every sign-up accepted so far has been carried out (tests, shutdown). */
  async idle(): Promise<void> {
    while (this.pending.size > 0) {
      // A sign-up joins the lane only once its answer has left: drain, then again whenever one joins.
      await this.deferred.drain();
      await Promise.race([Promise.all([...this.pending]), this.deferred.nextQueued()]);
    }
  }

  /** The part that depends on whether the address exists; runs after the answer. */
  private async register(
    app: App,
    email: string,
    passwordHash: string,
    redirect: string | null,
  ): Promise<SignUpOutcome> {
    await this.pruneExpired();
    const created = await this.createPending(app.id, email, passwordHash);
    if (created) {
      await this.sendActivation(app, created, email, redirect, passwordHash);
      return 'created';
    }
    const existing = await this.userRepo.findByLogin(app.id, email);
    const address = existing?.emails.find((e) => emailKey(e.address) === emailKey(email));
    if (existing && address && !existing.isActive && !isDeactivated(existing, this.clock.now())) {
      // The account keeps its password until a link is used: this sign-up's link sets this one.
      await this.sendActivation(app, existing, address.address, redirect, passwordHash);
      return 'resent';
    }
    return 'exists';
  }

  /** Forgets links that expired over a day ago, at most once an hour (sign-ups are what create them). */
  private async pruneExpired(): Promise<void> {
    const now = this.clock.now();
    if (now - this.lastPruneAt < 3600_000) return;
    this.lastPruneAt = now;
    await this.tokens.deleteExpiredBefore(now - 86_400_000).catch((err: unknown) => this.onError(err));
  }

  /** Creates the pending account, or returns null when the address is taken. */
  private async createPending(appId: string, email: string, passwordHash: string): Promise<User | null> {
    for (let attempt = 0; ; attempt++) {
      const username = this.settings.usernamesEnabled ? usernameFor(email) : null;
      if (username !== null) checkUsername(username);
      try {
        return await this.userRepo.create(
          {
            appId,
            username,
            fullName: null,
            picture: null,
            passwordHash,
            isActive: false,
            emails: [{ address: email, isPrimary: true, isVerified: false }],
          },
          this.clock.now(),
        );
      } catch (err) {
        if (err instanceof LatchkeyError && err.code === 'duplicate_email') return null;
        // A generated username collided (they carry a random suffix): draw another.
        if (err instanceof LatchkeyError && err.code === 'duplicate_username' && attempt < 3) continue;
        throw err;
      }
    }
  }

  private async sendActivation(
    app: App,
    user: User,
    address: string,
    redirect: string | null,
    passwordHash: string,
  ): Promise<void> {
    const secret = newSecret(32);
    const now = this.clock.now();
    await this.tokens.create({
      id: newId(),
      appId: app.id,
      userId: user.id,
      email: address,
      tokenHash: sha256Hex(secret),
      passwordHash,
      createdAt: now,
      expiresAt: now + this.settings.activationTtlMs,
    });
    await this.mail.enqueue(app.id, address, 'activation', {
      appName: this.settings.appName,
      link: this.settings.activationLink(secret, redirect),
      expiresInMinutes: Math.round(this.settings.activationTtlMs / 60_000),
    });
  }

  /**
   * Uses an activation link: the account becomes active, the address the link was sent
   * to becomes verified, and the password is the one of the sign-up that sent this link.
   * Using one link uses up the account's others (atomically), so a second sign-up's link
   * cannot set the password afterwards. Unknown, used and expired links all fail alike.
   * A link of an account activated meanwhile by other means (an admin, rpc) still
   * verifies its address, and never sets the password of a live account.
   */
  async activate(token: string): Promise<User> {
    const invalid = () => new LatchkeyError('invalid_input', 'Invalid or expired activation token');
    if (!TOKEN.test(token)) throw invalid();
    const used = await this.tokens.consume(sha256Hex(token), this.clock.now());
    if (!used) throw invalid();
    const user = await this.userRepo.findById(used.appId, used.userId);
    if (!user) throw invalid();
    const emails = user.emails.map((e) =>
      emailKey(e.address) === emailKey(used.email) ? { ...e, isVerified: true } : e,
    );
    // The password is set only while the account is still inactive, as a condition of the
    // write itself: the read above may be stale, and an admin who activated the account
    // and set a password in between must keep theirs.
    let activated: User | null = null;
    if (!user.isActive && used.passwordHash) {
      activated = await this.userRepo.update(
        user.appId,
        user.id,
        { isActive: true, emails, passwordHash: used.passwordHash },
        this.clock.now(),
        { isActive: false },
      );
    }
    activated ??= await this.userRepo.update(
      user.appId,
      user.id,
      { isActive: true, emails },
      this.clock.now(),
    );
    if (!activated) throw invalid();
    return activated;
  }
}

/** A username for a self-registered account: the address's local part, made valid, plus a random suffix. */
export function usernameFor(email: string): string {
  const local = email.slice(0, email.lastIndexOf('@'));
  const base = local
    .replace(/[^A-Za-z0-9_.-]+/g, '')
    .replace(/^[.-]+/, '')
    .slice(0, 20);
  return `${base || 'user'}-${newId().slice(0, 6)}`;
}
