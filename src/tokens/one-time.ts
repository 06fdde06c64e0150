import { randomBytes } from 'node:crypto';
import type { Clock } from '../shared/clock.js';
import { newId, sha256Hex } from '../shared/ids.js';

/** The single-use secrets Latchkey mails out. A token of one kind is never accepted as another. */
export type OneTimeKind = 'password_reset' | 'email_verification' | 'invitation';

export interface OneTimeToken {
  id: string;
  appId: string;
  kind: OneTimeKind;
  userId: string | null;
  orgId: string | null;
  /** The address it was mailed to. */
  email: string | null;
  payload: Record<string, unknown>;
  createdBy: string | null;
  createdAt: number;
  expiresAt: number;
}

export interface InvitationQuery {
  /** 'all', or only invitations to these orgs. */
  orgIds: 'all' | readonly string[];
  /** Only invitations sent to one of these addresses (their emailKey); none for an empty list. */
  toEmailKeys?: readonly string[];
  afterId?: string;
  limit: number;
  now: number;
}

/** Storage for one-time tokens; only the SHA-256 of a secret is ever stored. */
export interface OneTimeTokenRepository {
  insert(token: OneTimeToken, tokenHash: string): Promise<void>;
  /** The live token with this hash, without using it. */
  find(kind: OneTimeKind, tokenHash: string, now: number): Promise<OneTimeToken | null>;
  /**
   * Uses the token: deletes the live row with this hash and returns it, in one
   * conditional statement, so of two concurrent uses exactly one gets it.
   */
  consume(kind: OneTimeKind, tokenHash: string, now: number): Promise<OneTimeToken | null>;
  /** Deletes a user's tokens of one kind (a reset makes the other reset links useless). */
  deleteForUser(appId: string, kind: OneTimeKind, userId: string): Promise<number>;
  deleteExpired(now: number): Promise<number>;
  listInvitations(appId: string, query: InvitationQuery): Promise<OneTimeToken[]>;
}

/**
 * One-time tokens: 256 random bits shown once (in a mail), stored as SHA-256, expiring,
 * and used by deleting the row (compare-and-delete): never twice, even concurrently.
 */
export class OneTimeTokens {
  constructor(
    private readonly repo: OneTimeTokenRepository,
    private readonly clock: Clock,
  ) {}

  /** Hex, so it fits the reference's token alphabet `[A-Za-z0-9-]` and its 6–100 length. */
  static newSecret(): string {
    return randomBytes(32).toString('hex');
  }

  async issue(
    input: Pick<OneTimeToken, 'appId' | 'kind' | 'userId' | 'orgId' | 'email' | 'payload' | 'createdBy'>,
    ttlMs: number,
  ): Promise<{ secret: string; token: OneTimeToken }> {
    const now = this.clock.now();
    // Expired rows are useless; clearing them here keeps the table small without a timer.
    await this.repo.deleteExpired(now);
    const secret = OneTimeTokens.newSecret();
    const token: OneTimeToken = { ...input, id: newId(), createdAt: now, expiresAt: now + ttlMs };
    await this.repo.insert(token, sha256Hex(secret));
    return { secret, token };
  }

  peek(kind: OneTimeKind, secret: string): Promise<OneTimeToken | null> {
    return this.repo.find(kind, sha256Hex(secret), this.clock.now());
  }

  consume(kind: OneTimeKind, secret: string): Promise<OneTimeToken | null> {
    return this.repo.consume(kind, sha256Hex(secret), this.clock.now());
  }

  /**
   * Puts back a token that was consumed by a use that then failed for a reason the
   * holder can fix (a username already taken): the link keeps working until it expires.
   */
  async restore(token: OneTimeToken, secret: string): Promise<void> {
    await this.repo.insert(token, sha256Hex(secret));
  }

  revokeForUser(appId: string, kind: OneTimeKind, userId: string): Promise<number> {
    return this.repo.deleteForUser(appId, kind, userId);
  }

  listInvitations(appId: string, query: Omit<InvitationQuery, 'now'>): Promise<OneTimeToken[]> {
    return this.repo.listInvitations(appId, { ...query, now: this.clock.now() });
  }
}
