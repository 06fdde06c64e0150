import type { UserRepository } from '../identity/ports.js';
import type { SignInObserver } from '../identity/sign-in.js';
import { isDeactivated, type User } from '../identity/types.js';
import type { Clock } from '../shared/clock.js';
import { LatchkeyError } from '../shared/errors.js';
import { newId, newSecret, sha256Hex } from '../shared/ids.js';
import type { RequestContext } from '../shared/request-context.js';
import { ADDRESS_POLICY, type Throttle } from '../throttle/index.js';
import { checkSurveyId } from './aliases.js';
import type { LoginLinkRepository } from './ports.js';
import type { LoginLink, LoginLinkQuery } from './types.js';

/** 32 random bytes, base64url: 43 URL-safe characters, 256 bits. */
const TOKEN = /^[A-Za-z0-9_-]{43}$/;

/**
 * Login-link tokens: long-lived secrets an operator hands to a respondent (in a URL,
 * a mail, a CSV export) that sign them in without a password. Unlike the reference,
 * the secret is random (256 bits), shown once, stored only as SHA-256, revocable,
 * optionally expiring, and never copied into a token claim or a log line.
 */
export class LoginLinkService {
  /** Told of every redemption attempt (audit log, metrics), like password sign-ins; never of the token. */
  onAttempt: SignInObserver = () => {};

  constructor(
    private readonly repo: LoginLinkRepository,
    private readonly users: UserRepository,
    private readonly throttle: Throttle,
    private readonly clock: Clock,
  ) {}

  /** A new link; `token` is the secret, returned this once. */
  async create(
    appId: string,
    input: { userId: string; surveyId?: string | null; expiresAt?: number | null },
  ): Promise<{ link: LoginLink; token: string }> {
    const surveyId = input.surveyId ?? null;
    if (surveyId !== null) checkSurveyId(surveyId);
    const now = this.clock.now();
    const expiresAt = input.expiresAt ?? null;
    if (expiresAt !== null && expiresAt <= now) {
      throw new LatchkeyError('invalid_input', 'A login link must expire in the future');
    }
    if (!(await this.users.findById(appId, input.userId))) {
      throw new LatchkeyError('user_not_found', `User "${input.userId}" does not exist`);
    }
    const token = newSecret(32);
    const link: LoginLink = {
      id: newId(),
      appId,
      userId: input.userId,
      surveyId,
      createdAt: now,
      expiresAt,
      revokedAt: null,
      lastUsedAt: null,
    };
    await this.repo.create(link, sha256Hex(token));
    return { link, token };
  }

  list(appId: string, query: LoginLinkQuery): Promise<LoginLink[]> {
    return this.repo.list(appId, query);
  }

  async revoke(appId: string, id: string): Promise<LoginLink> {
    const link = await this.repo.revoke(appId, id, this.clock.now());
    if (!link) throw new LatchkeyError('not_found', `Login link "${id}" does not exist`);
    return link;
  }

  /**
   * The user and survey a presented token signs in. Every failure (malformed, unknown,
   * revoked, expired, user gone or deactivated) is the same invalid_credentials.
   * Attempts are throttled per client address before the token is looked at; the
   * lookup is by SHA-256, so its timing says nothing about near misses.
   */
  async redeem(
    appId: string,
    token: string,
    client: { ip: string | null },
    context: RequestContext | undefined,
  ): Promise<{ link: LoginLink; user: User }> {
    const addressKey = client.ip ? `${appId}:ip:${this.throttle.address(client.ip)}` : null;
    if (addressKey) {
      try {
        await this.throttle.attempt([{ key: addressKey, policy: ADDRESS_POLICY }], this.clock.now());
      } catch (err) {
        this.onAttempt(appId, 'throttled', null, context);
        throw err;
      }
    }
    const now = this.clock.now();
    const link = TOKEN.test(token) ? await this.repo.findByTokenHash(sha256Hex(token)) : null;
    const user = link && link.appId === appId ? await this.users.findById(appId, link.userId) : null;
    if (
      !link ||
      !user ||
      link.revokedAt !== null ||
      (link.expiresAt !== null && link.expiresAt <= now) ||
      !user.isActive ||
      isDeactivated(user, now)
    ) {
      this.onAttempt(appId, 'invalid_credentials', user?.id ?? null, context);
      throw new LatchkeyError('invalid_credentials', 'Invalid login link');
    }
    // Addresses count failures only: a classroom behind one NAT opening its links is fine.
    if (addressKey) await this.throttle.succeeded(`${appId}:link:${link.id}`, [addressKey]);
    await this.repo.touch(link.id, now);
    this.onAttempt(appId, 'success', user.id, context);
    return { link, user };
  }
}
