import type { Clock } from '../shared/clock.js';
import { LatchkeyError } from '../shared/errors.js';
import type { RequestContext } from '../shared/request-context.js';
import { checkPasswordPolicy } from './password-policy.js';
import type { PasswordHasher } from './passwords.js';
import type { UserRepository } from './ports.js';
import type { Email, User, UserListQuery } from './types.js';
import { checkEmails, checkUsername, emailKey } from './validation.js';

/** What UserService needs from sessions: ending them when an account changes. */
export interface SessionRevoker {
  revokeAllForUser(
    userId: string,
    reason: string,
    options?: { at?: number; except?: string },
  ): Promise<number>;
  cancelScheduledRevocations(userId: string, reason: string): Promise<number>;
  /** Ends every session of a user whose rows are about to be deleted with it. */
  endAllBeforeDeletion(userId: string, reason: string): Promise<number>;
}

export interface CreateUserInput {
  username?: string | null;
  password?: string | null;
  fullName?: string | null;
  picture?: string | null;
  emails: Email[];
  isActive?: boolean;
}

export interface UpdateUserInput {
  username?: string;
  password?: string;
  fullName?: string;
  picture?: string | null;
  emails?: Email[];
}

export class UserService {
  /** Told of account changes worth auditing, with the request that made them (none outside one). */
  onEvent: (
    event: {
      type: 'password.changed' | 'user.deactivated' | 'user.deleted' | 'email.released';
      appId: string;
      userId: string;
      details?: Record<string, unknown>;
    },
    context: RequestContext | undefined,
  ) => void = () => {};

  constructor(
    private readonly users: UserRepository,
    private readonly hasher: PasswordHasher,
    private readonly sessions: SessionRevoker,
    private readonly clock: Clock,
    private readonly usernamesEnabled: boolean,
  ) {}

  async create(appId: string, input: CreateUserInput): Promise<User> {
    const username = this.acceptUsername(input.username ?? null);
    checkEmails(input.emails);
    let passwordHash: string | null = null;
    if (input.password !== undefined && input.password !== null) {
      checkPasswordPolicy(input.password, { username, emails: input.emails.map((e) => e.address) });
      passwordHash = await this.hasher.hash(input.password);
    }
    return this.users.create(
      {
        appId,
        username,
        fullName: input.fullName ?? null,
        picture: input.picture ?? null,
        passwordHash,
        isActive: input.isActive ?? true,
        emails: input.emails,
      },
      this.clock.now(),
    );
  }

  private acceptUsername(username: string | null): string | null {
    if (!this.usernamesEnabled) {
      if (username !== null)
        throw new LatchkeyError('invalid_input', 'Usernames are disabled on this server');
      return null;
    }
    if (username === null) throw new LatchkeyError('invalid_input', 'Username is required');
    checkUsername(username);
    return username;
  }

  async get(appId: string, id: string): Promise<User> {
    const user = await this.users.findById(appId, id);
    if (!user) throw new LatchkeyError('user_not_found', 'User does not exist');
    return user;
  }

  findByLogin(appId: string, login: string): Promise<User | null> {
    return this.users.findByLogin(appId, login);
  }

  list(appId: string, query: UserListQuery): Promise<User[]> {
    return this.users.list(appId, query);
  }

  /**
   * Applies a profile change. A new password ends every other session of the user
   * (`keepSessionId` is the caller's own, when they changed their own password).
   */
  async update(
    appId: string,
    id: string,
    input: UpdateUserInput,
    options: { keepSessionId?: string; context: RequestContext | undefined },
  ): Promise<User> {
    const current = await this.get(appId, id);
    const patch: Parameters<UserRepository['update']>[2] = {};
    if (input.username !== undefined) patch.username = this.acceptUsername(input.username);
    if (input.fullName !== undefined) patch.fullName = input.fullName;
    if (input.picture !== undefined) patch.picture = input.picture;
    if (input.emails !== undefined) {
      checkEmails(input.emails);
      patch.emails = input.emails;
    }
    if (input.password !== undefined) {
      checkPasswordPolicy(input.password, {
        username: patch.username !== undefined ? patch.username : current.username,
        emails: (patch.emails ?? current.emails).map((e) => e.address),
      });
      patch.passwordHash = await this.hasher.hash(input.password);
    }
    const updated = await this.users.update(appId, id, patch, this.clock.now());
    if (!updated) throw new LatchkeyError('user_not_found', 'User does not exist');
    if (input.password !== undefined) {
      await this.sessions.revokeAllForUser(
        id,
        'password_changed',
        options.keepSessionId ? { except: options.keepSessionId } : {},
      );
      this.onEvent({ type: 'password.changed', appId, userId: id }, options.context);
    }
    return updated;
  }

  /**
   * Proof by mail wins over an unverified claim: whoever has just shown they read the
   * address's mail (a verification link, an invitation) takes it from another account
   * that only claims it, so a stranger who typed someone's address cannot keep its owner
   * out. The other account loses the address (an `email.released` audit event on it).
   * A verified holder keeps it. `proverId` is null when the prover's account is about
   * to be created.
   */
  async takeProvenAddress(
    appId: string,
    address: string,
    proverId: string | null,
    context: RequestContext | undefined,
  ): Promise<void> {
    const from = await this.users.releaseUnverifiedEmail(appId, emailKey(address), proverId);
    if (from === null) return;
    this.onEvent(
      {
        type: 'email.released',
        appId,
        userId: from,
        details: { reason: 'proven_by_mail', ...(proverId ? { toUserId: proverId } : {}) },
      },
      context,
    );
  }

  async verifyPassword(user: User, password: string): Promise<boolean> {
    return this.hasher.verify(user.passwordHash, password);
  }

  async delete(appId: string, id: string, context: RequestContext | undefined): Promise<void> {
    await this.get(appId, id);
    // Revoke first: deleting the user deletes its session rows, and the in-memory
    // revoked set must already know them when that happens.
    await this.sessions.endAllBeforeDeletion(id, 'user_deleted');
    await this.users.delete(appId, id);
    this.onEvent({ type: 'user.deleted', appId, userId: id }, context);
  }

  /** Deactivates now or after a delay; the user's sessions end at that moment. */
  async deactivate(
    appId: string,
    id: string,
    options: { afterSeconds?: number; context: RequestContext | undefined },
  ): Promise<User> {
    await this.get(appId, id);
    const at = this.clock.now() + (options.afterSeconds ?? 0) * 1000;
    const user = await this.users.update(appId, id, { deactivatedAt: at }, this.clock.now());
    if (!user) throw new LatchkeyError('user_not_found', 'User does not exist');
    await this.sessions.revokeAllForUser(id, 'user_deactivated', { at });
    this.onEvent({ type: 'user.deactivated', appId, userId: id }, options.context);
    return user;
  }

  async activate(appId: string, id: string): Promise<User> {
    await this.get(appId, id);
    const user = await this.users.update(
      appId,
      id,
      { deactivatedAt: null, isActive: true },
      this.clock.now(),
    );
    if (!user) throw new LatchkeyError('user_not_found', 'User does not exist');
    // A deactivation scheduled for later is cancelled with it, sessions included.
    await this.sessions.cancelScheduledRevocations(id, 'user_deactivated');
    return user;
  }
}
