import type { MailService } from '../mail/index.js';
import type { Clock } from '../shared/clock.js';
import type { DeferredWork } from '../shared/deferred-work.js';
import { isLatchkeyError, LatchkeyError } from '../shared/errors.js';
import type { RequestContext } from '../shared/request-context.js';
import type { Throttle, ThrottlePolicy } from '../throttle/index.js';
import type { OneTimeToken, OneTimeTokens } from '../tokens/one-time.js';
import type { Access } from './access.js';
import { userNotFound } from './org-management.js';
import { checkPasswordPolicy } from './password-policy.js';
import type { UserRepository } from './ports.js';
import { type Email, isDeactivated, primaryEmail, type User } from './types.js';
import type { UserService } from './users.js';
import { emailKey, isEmailAddress, loginKey } from './validation.js';

/** Reset and verification links live this long unless asked for less (reset) or more (verification, by an administrator). */
export const RESET_TTL_SECONDS = 3 * 3600;
export const VERIFICATION_TTL_SECONDS = 3 * 3600;
export const MAX_TOKEN_TTL_SECONDS = 30 * 86400;

/**
 * Reset requests per account (as typed) and client address, per account over all
 * addresses (a ceiling), and per client address: every request counts, so nobody can
 * flood one mailbox with reset mail nor probe accounts in bulk, and a stranger's
 * requests do not use up the owner's. The counters are keyed by what was typed, so
 * unknown accounts are throttled exactly like real ones and a 429 tells nothing about
 * existence.
 */
export const RESET_REQUEST_ACCOUNT_POLICY: ThrottlePolicy = {
  freeFailures: 3,
  baseDelayMs: 60_000,
  maxDelayMs: 60 * 60_000,
  windowMs: 60 * 60_000,
};
/** Only requests spread over many addresses reach it. */
export const RESET_REQUEST_CEILING_POLICY: ThrottlePolicy = {
  freeFailures: 20,
  baseDelayMs: 60_000,
  maxDelayMs: 60 * 60_000,
  windowMs: 60 * 60_000,
};
export const RESET_ADDRESS_POLICY: ThrottlePolicy = {
  freeFailures: 20,
  baseDelayMs: 1000,
  maxDelayMs: 15 * 60_000,
  windowMs: 60 * 60_000,
};
/** Attempts to use a reset token, per account; a success clears it. */
export const RESET_USE_ACCOUNT_POLICY: ThrottlePolicy = {
  freeFailures: 5,
  baseDelayMs: 1000,
  maxDelayMs: 15 * 60_000,
  windowMs: 60 * 60_000,
};

/** The links mails carry: built from the configured public URL, never from a request's Host header. */
export interface AccountLinks {
  resetPassword(token: string): string;
  verifyEmail(token: string): string;
  acceptInvitation(token: string): string;
}

export function accountLinks(publicUrl: string): AccountLinks {
  const at = (path: string, token: string) => {
    const url = new URL(publicUrl);
    // publicUrl may carry a path (Latchkey behind a proxy under /auth): keep it.
    url.pathname = `${url.pathname.replace(/\/$/, '')}${path}`;
    url.search = '';
    url.hash = '';
    url.searchParams.set('token', token);
    return url.href;
  };
  return {
    resetPassword: (token) => at('/reset-password', token),
    verifyEmail: (token) => at('/verify-email', token),
    acceptInvitation: (token) => at('/accept-invitation', token),
  };
}

export interface AccountSettings {
  /** Names the service in mail subjects. */
  appName: string;
  links: AccountLinks;
}

function tokenNotFound(): LatchkeyError {
  return new LatchkeyError('token_not_found', 'Token does not exist or has already expired');
}

/**
 * The account life-cycle around sign-in: password reset, email verification and
 * activation, each with a mailed one-time token (see tokens/one-time.ts).
 */
export class AccountService {
  /** Told when background work (a reset mail) fails; the caller already had its answer. */
  onError: (err: unknown, context: string) => void = () => {};
  private readonly pending = new Set<Promise<void>>();

  constructor(
    private readonly users: UserService,
    private readonly userRepo: UserRepository,
    private readonly tokens: OneTimeTokens,
    private readonly mail: Pick<MailService, 'enqueue'>,
    private readonly throttle: Throttle,
    private readonly clock: Clock,
    private readonly settings: AccountSettings,
    /** Where the part that depends on the account's existence runs (shared/deferred-work.ts). */
    private readonly deferred: DeferredWork,
  ) {}

  /**
   * Mails a reset link when the account exists and is not deactivated; answers the
   * same (nothing) in every case, so the caller learns nothing about the account.
   * Earlier reset links of the account stop working: only the newest one counts.
   *
   * Only the throttle runs before the answer: looking the account up, storing the token
   * and queueing the mail happen later, on the deferred-work lane's own tick, so neither
   * this answer nor the requests right after it take longer when the account exists
   * (security checklist L3).
   */
  async forgotPassword(
    appId: string,
    input: { userKey: string; expiresInSeconds?: number | undefined; client: { ip: string | null } },
  ): Promise<void> {
    // Per account and address, so a stranger's requests never use up the owner's; the
    // account's ceiling, far higher, still bounds the mail one mailbox can get.
    const account = `${appId}:reset:${loginKey(input.userKey)}`;
    const address = input.client.ip ? this.throttle.address(input.client.ip) : null;
    const keys = [
      { key: `${account}:ip:${address ?? 'none'}`, policy: RESET_REQUEST_ACCOUNT_POLICY },
      { key: account, policy: RESET_REQUEST_CEILING_POLICY },
    ];
    if (address) keys.push({ key: `${appId}:ip:${address}`, policy: RESET_ADDRESS_POLICY });
    await this.throttle.attempt(keys, this.clock.now());
    // Not now, nor right after the answer: with SQLite every query runs synchronously on
    // this loop, so the lookup and the writes would delay the caller's next request.
    const work: Promise<void> = this.deferred
      .run(() => this.sendReset(appId, input.userKey, input.expiresInSeconds))
      .catch((err: unknown) => this.onError(err, 'sending a password-reset mail'))
      .finally(() => this.pending.delete(work));
    this.pending.add(work);
  }

  /** Resolves when the background work started so far is done (tests, shutdown). */
  async settled(): Promise<void> {
    while (this.pending.size > 0) {
      await this.deferred.drain();
      await Promise.all([...this.pending]);
    }
  }

  private async sendReset(
    appId: string,
    userKey: string,
    expiresInSeconds: number | undefined,
  ): Promise<void> {
    const user = await this.userRepo.findByLogin(appId, userKey);
    if (!user || isDeactivated(user, this.clock.now())) return;
    const to = primaryEmail(user);
    if (!to) return;
    // A caller may ask for a shorter life, never a longer one: the link is a password.
    const seconds = Math.min(expiresInSeconds ?? RESET_TTL_SECONDS, RESET_TTL_SECONDS);
    await this.tokens.revokeForUser(appId, 'password_reset', user.id);
    const { secret } = await this.tokens.issue(
      {
        appId,
        kind: 'password_reset',
        userId: user.id,
        orgId: null,
        email: to,
        payload: {},
        createdBy: null,
      },
      seconds * 1000,
    );
    await this.mail.enqueue(appId, to, 'password-reset', {
      appName: this.settings.appName,
      link: this.settings.links.resetPassword(secret),
      expiresInMinutes: Math.max(1, Math.round(seconds / 60)),
    });
  }

  /**
   * Sets a new password with a reset token, once. Every session of the user ends (a
   * reset usually means someone else may have had the password), and the user's other
   * reset links stop working. A second factor, when the user has one, stays required
   * at sign-in: a reset never bypasses MFA.
   */
  async resetPassword(
    appId: string,
    input: {
      token: string;
      password: string;
      client: { ip: string | null };
      context: RequestContext | undefined;
    },
  ): Promise<User> {
    const addressKey = input.client.ip ? `${appId}:ip:${this.throttle.address(input.client.ip)}` : null;
    const peeked = await this.tokens.peek('password_reset', input.token);
    const accountKey = peeked?.userId ? `${appId}:use:${peeked.userId}` : null;
    const keys: Array<{ key: string; policy: ThrottlePolicy }> = [];
    if (addressKey) keys.push({ key: addressKey, policy: RESET_ADDRESS_POLICY });
    if (accountKey) keys.push({ key: accountKey, policy: RESET_USE_ACCOUNT_POLICY });
    await this.throttle.attempt(keys, this.clock.now());
    // The password is checked before the token is used, so a refused one does not waste the link.
    const owner = peeked?.userId ? await this.userRepo.findById(appId, peeked.userId) : null;
    checkPasswordPolicy(input.password, {
      username: owner?.username ?? null,
      emails: owner?.emails.map((e) => e.address) ?? [],
    });
    const used = await this.tokens.consume('password_reset', input.token);
    if (!used || used.appId !== appId || !used.userId) throw tokenNotFound();
    const user = await this.userRepo.findById(appId, used.userId);
    if (!user) throw tokenNotFound();
    if (isDeactivated(user, this.clock.now()))
      throw new LatchkeyError('user_deactivated', 'User is deactivated');
    let updated: User;
    try {
      updated = await this.users.update(
        appId,
        user.id,
        { password: input.password },
        { context: input.context },
      );
    } catch (err) {
      // Overload or an outage: the holder may try again with the same link.
      if (isLatchkeyError(err) && (err.code === 'overloaded' || err.code === 'storage_unavailable'))
        await this.tokens.restore(used, input.token);
      throw err;
    }
    await this.tokens.revokeForUser(appId, 'password_reset', user.id);
    if (accountKey) await this.throttle.succeeded(accountKey, addressKey ? [addressKey] : []);
    return updated;
  }

  /**
   * Mails a verification link for one of a user's addresses. For yourself, or with
   * global yeep.user.write; only the latter may choose how long the link lives.
   */
  async requestVerification(
    appId: string,
    caller: Access,
    input: { userId: string; address: string; expiresInSeconds?: number | undefined },
  ): Promise<void> {
    const user = await this.userRepo.findById(appId, input.userId);
    if (!user) throw userNotFound();
    if (caller.userId !== user.id) caller.require('yeep.user.write');
    if (input.expiresInSeconds !== undefined) caller.require('yeep.user.write');
    const email = user.emails.find((e) => emailKey(e.address) === emailKey(input.address));
    if (!email) {
      // An address another account holds unverified cannot be added (it is taken), so its
      // owner proves it by mail instead: the link, once used, moves it here (verifyEmail).
      if (await this.heldUnverifiedElsewhere(appId, user.id, input.address)) {
        await this.sendVerification(
          user,
          input.address,
          input.expiresInSeconds ?? VERIFICATION_TTL_SECONDS,
          'email-verification',
          { claim: true },
        );
        return;
      }
      throw new LatchkeyError(
        'email_not_found',
        `Email address "${input.address}" does not belong to the user`,
      );
    }
    if (email.isVerified)
      throw new LatchkeyError(
        'email_already_verified',
        `Email address "${email.address}" is already verified`,
      );
    await this.sendVerification(
      user,
      email.address,
      input.expiresInSeconds ?? VERIFICATION_TTL_SECONDS,
      'email-verification',
    );
  }

  private async heldUnverifiedElsewhere(appId: string, userId: string, address: string): Promise<boolean> {
    if (!isEmailAddress(address)) return false;
    const holder = await this.userRepo.findByLogin(appId, address);
    return (
      holder !== null &&
      holder.id !== userId &&
      holder.emails.some((e) => !e.isVerified && emailKey(e.address) === emailKey(address))
    );
  }

  /** The activation mail of an account created pending activation: verifying its primary address activates it. */
  async sendActivation(user: User): Promise<void> {
    const to = primaryEmail(user);
    if (!to) return;
    await this.sendVerification(user, to, VERIFICATION_TTL_SECONDS, 'activation');
  }

  private async sendVerification(
    user: User,
    address: string,
    seconds: number,
    template: 'email-verification' | 'activation',
    payload: Record<string, unknown> = {},
  ): Promise<void> {
    const { secret } = await this.tokens.issue(
      {
        appId: user.appId,
        kind: 'email_verification',
        userId: user.id,
        orgId: null,
        email: address,
        payload,
        createdBy: null,
      },
      seconds * 1000,
    );
    await this.mail.enqueue(user.appId, address, template, {
      appName: this.settings.appName,
      link: this.settings.links.verifyEmail(secret),
      expiresInMinutes: Math.max(1, Math.round(seconds / 60)),
    });
  }

  /**
   * Uses a verification token, once: the address becomes verified and an account
   * waiting for activation becomes active. The token names its app.
   */
  async verifyEmail(token: string): Promise<User> {
    const used: OneTimeToken | null = await this.tokens.consume('email_verification', token);
    if (!used?.userId || !used.email) throw tokenNotFound();
    const user = await this.userRepo.findById(used.appId, used.userId);
    if (!user) throw userNotFound();
    const address = used.email;
    let emails: Email[];
    if (user.emails.some((e) => emailKey(e.address) === emailKey(address))) {
      emails = user.emails.map((e) =>
        emailKey(e.address) === emailKey(address) ? { ...e, isVerified: true } : e,
      );
    } else if (used.payload['claim'] === true) {
      // A link sent for an address another account held unverified: the mail reached its
      // owner, who takes it now (a verified holder keeps it: the update fails as a duplicate).
      await this.users.takeProvenAddress(user.appId, address, user.id, undefined);
      emails = [...user.emails, { address, isVerified: true, isPrimary: user.emails.length === 0 }];
    } else {
      throw new LatchkeyError('email_not_found', `Email address "${address}" does not belong to the user`);
    }
    const updated = await this.userRepo.update(
      user.appId,
      user.id,
      { emails, ...(user.isActive ? {} : { isActive: true }) },
      this.clock.now(),
    );
    if (!updated) throw userNotFound();
    return updated;
  }
}
