import type { MailService } from '../mail/index.js';
import type { Clock } from '../shared/clock.js';
import { LatchkeyError } from '../shared/errors.js';
import type { OneTimeToken, OneTimeTokens } from '../tokens/one-time.js';
import type { Access } from './access.js';
import type { AccessRepository, GrantInput, OrgDirectory } from './access-ports.js';
import type { AccountLinks } from './account.js';
import { type GrantRequest, grantsFor, type OrgManagement, userNotFound } from './org-management.js';
import type { UserRepository } from './ports.js';
import { primaryEmail, type User } from './types.js';
import type { UserService } from './users.js';
import { emailKey, isEmailAddress } from './validation.js';

export const INVITATION_TTL_SECONDS = 7 * 86400;

export interface Invitation {
  id: string;
  orgId: string;
  /** Set when the invitation is for an existing account. */
  userId: string | null;
  email: string;
  permissions: GrantInput[];
  roles: GrantInput[];
  createdAt: number;
  expiresAt: number;
}

function toInvitation(t: OneTimeToken): Invitation {
  const grants = (key: string): GrantInput[] => {
    const value = t.payload[key];
    return Array.isArray(value) ? (value as GrantInput[]) : [];
  };
  return {
    id: t.id,
    orgId: t.orgId ?? '',
    userId: t.userId,
    email: t.email ?? '',
    permissions: grants('permissions'),
    roles: grants('roles'),
    createdAt: t.createdAt,
    expiresAt: t.expiresAt,
  };
}

function tokenNotFound(): LatchkeyError {
  return new LatchkeyError('token_not_found', 'Invitation token does not exist or has already expired');
}

export interface InvitationSettings {
  appName: string;
  links: AccountLinks;
  usernamesEnabled: boolean;
}

export interface NewAccount {
  username?: string | undefined;
  password: string;
  fullName?: string | undefined;
  picture?: string | undefined;
}

/**
 * Invitations to an org: a mailed single-use token that makes its holder a member with
 * the permissions and roles the inviter chose. An invitation for an address without an
 * account creates the account on acceptance (the address verified: the mail proved it);
 * one for an existing account is accepted by that account only, signed in.
 */
export class InvitationService {
  constructor(
    private readonly orgs: OrgManagement,
    private readonly directory: OrgDirectory,
    private readonly access: AccessRepository,
    private readonly users: UserService,
    private readonly userRepo: UserRepository,
    private readonly tokens: OneTimeTokens,
    private readonly mail: Pick<MailService, 'enqueue'>,
    private readonly clock: Clock,
    private readonly settings: InvitationSettings,
  ) {}

  async create(
    appId: string,
    caller: Access,
    input: {
      user: string;
      orgId: string;
      permissions: readonly GrantRequest[];
      roles: readonly GrantRequest[];
      expiresInSeconds?: number | undefined;
    },
  ): Promise<Invitation> {
    await this.orgs.get(appId, input.orgId);
    caller.require('yeep.invitation.write', [input.orgId]);
    if (input.permissions.length > 0) caller.require('yeep.permission.assignment.write', [input.orgId]);
    if (input.roles.length > 0) caller.require('yeep.role.assignment.write', [input.orgId]);
    const grants = await grantsFor(this.access, appId, input.orgId, input.permissions, input.roles);
    const byEmail = isEmailAddress(input.user);
    if (!byEmail && !this.settings.usernamesEnabled) {
      throw new LatchkeyError('invalid_input', `"${input.user}" is not an email address`);
    }
    const existing = await this.userRepo.findByLogin(appId, input.user);
    if (!existing && !byEmail) throw userNotFound();
    if (existing && (await this.orgs.isMember(input.orgId, existing.id))) {
      throw new LatchkeyError(
        'duplicate_membership',
        `User "${existing.id}" is already a member of org "${input.orgId}"`,
      );
    }
    const email = existing
      ? byEmail
        ? (existing.emails.find((e) => emailKey(e.address) === emailKey(input.user))?.address ?? input.user)
        : primaryEmail(existing)
      : input.user;
    if (!email) throw new LatchkeyError('invalid_input', `User "${existing?.id}" has no email address`);
    const seconds = input.expiresInSeconds ?? INVITATION_TTL_SECONDS;
    const { secret, token } = await this.tokens.issue(
      {
        appId,
        kind: 'invitation',
        userId: existing?.id ?? null,
        orgId: input.orgId,
        email,
        payload: { permissions: grants.permissions, roles: grants.roles },
        createdBy: caller.userId,
      },
      seconds * 1000,
    );
    await this.mail.enqueue(appId, email, 'invitation', {
      appName: this.settings.appName,
      link: this.settings.links.acceptInvitation(secret),
      expiresInMinutes: Math.max(1, Math.round(seconds / 60)),
    });
    return toInvitation(token);
  }

  /** The live invitation behind a token, without using it (to tell which fields accepting needs). */
  async peek(token: string): Promise<Invitation> {
    const found = await this.tokens.peek('invitation', token);
    if (!found) throw tokenNotFound();
    return toInvitation(found);
  }

  /**
   * The account that must accept an invitation, or null when whoever read its mail may
   * accept it with a new account. An invitation names an existing account; but when that
   * account holds the invited address only unverified, the claim proves nothing about who
   * reads the mail: its owner may accept with a new account and takes the address (the
   * named account, signed in, still accepts as itself).
   */
  async inviteeOf(appId: string, invitation: Invitation, callerId: string | null): Promise<string | null> {
    if (invitation.userId === null || callerId === invitation.userId) return invitation.userId;
    const named = await this.userRepo.findById(appId, invitation.userId);
    const claim = named?.emails.find((e) => emailKey(e.address) === emailKey(invitation.email));
    return claim && !claim.isVerified ? null : invitation.userId;
  }

  /** An invitation for an existing account may be accepted by that account only, signed in. */
  checkInvitee(invitation: Invitation, callerId: string | null): void {
    if (invitation.userId === null) return;
    if (callerId === null) {
      throw new LatchkeyError(
        'forbidden',
        'This invitation is for an existing account; sign in as that user and accept it again',
      );
    }
    if (callerId !== invitation.userId) {
      throw new LatchkeyError(
        'forbidden',
        `User "${callerId}" may not accept an invitation meant for another user`,
      );
    }
  }

  /**
   * Accepts an invitation, once: an existing account (which must be the signed-in
   * `callerId`) joins the org; otherwise `account` describes the new one. Of concurrent
   * acceptances exactly one succeeds.
   */
  async accept(
    appId: string,
    input: { token: string; callerId: string | null; account?: NewAccount | undefined },
  ): Promise<{ user: User; orgId: string }> {
    const invitation = await this.peek(input.token);
    const invitee = await this.inviteeOf(appId, invitation, input.callerId);
    if (invitee !== null) this.checkInvitee(invitation, input.callerId);
    else if (!input.account) {
      throw new LatchkeyError('invalid_input', 'A new account needs a password');
    }
    const used = await this.tokens.consume('invitation', input.token);
    if (!used || used.appId !== appId || !used.orgId || !used.email) throw tokenNotFound();
    const accepted = toInvitation(used);
    let user: User;
    if (invitee !== null && used.userId !== null) {
      const found = await this.userRepo.findById(appId, used.userId);
      if (!found) throw tokenNotFound();
      user = found;
      // The mail reached this address: it is verified now.
      const address = used.email;
      if (user.emails.some((e) => emailKey(e.address) === emailKey(address) && !e.isVerified)) {
        user =
          (await this.userRepo.update(
            appId,
            user.id,
            {
              emails: user.emails.map((e) =>
                emailKey(e.address) === emailKey(address) ? { ...e, isVerified: true } : e,
              ),
            },
            this.clock.now(),
          )) ?? user;
      }
    } else {
      const account = input.account!;
      try {
        // The invitation's mail reached this address: an unverified claim elsewhere yields.
        await this.users.takeProvenAddress(appId, used.email, null, undefined);
        user = await this.users.create(appId, {
          username: account.username ?? null,
          password: account.password,
          fullName: account.fullName ?? null,
          picture: account.picture ?? null,
          emails: [{ address: used.email, isVerified: true, isPrimary: true }],
        });
      } catch (err) {
        // A taken username or a weak password: the invitee may try again with the same link.
        await this.tokens.restore(used, input.token);
        throw err;
      }
    }
    await this.join(appId, accepted, user.id);
    return { user, orgId: accepted.orgId };
  }

  /** Membership with the invitation's grants; what was deleted since the invitation is left out. */
  private async join(appId: string, invitation: Invitation, userId: string): Promise<void> {
    const permissions = new Set(
      (
        await this.access.findPermissions(
          appId,
          invitation.permissions.map((p) => p.id),
        )
      ).map((p) => p.id),
    );
    const roles = new Set(
      (
        await this.access.findRoles(
          appId,
          invitation.roles.map((r) => r.id),
        )
      ).map((r) => r.id),
    );
    const grants = {
      permissions: invitation.permissions.filter((p) => permissions.has(p.id)),
      roles: invitation.roles.filter((r) => roles.has(r.id)),
    };
    const now = this.clock.now();
    const joined = await this.directory.join({
      appId,
      orgId: invitation.orgId,
      userId,
      now,
      expiresAt: null,
      ...grants,
    });
    if (joined) return;
    // Already a member: the invitation's grants are added to the membership.
    for (const p of grants.permissions) {
      await this.access.grantPermission(
        appId,
        p.id,
        { userId, orgId: invitation.orgId, resourceId: p.resourceId },
        now,
      );
    }
    for (const r of grants.roles) {
      await this.access.grantRole(
        appId,
        r.id,
        { userId, orgId: invitation.orgId, resourceId: r.resourceId },
        now,
      );
    }
  }

  /**
   * Pending invitations. Your own (`userId` = you) always; others' need
   * yeep.invitation.read, globally or in their org.
   *
   * A user's invitations are those sent to one of the account's verified addresses, not
   * those bound to its id: anyone may add an address to their account without proving
   * it, and an unverified address must not show them the invitation meant for its
   * owner (nor one bound to their account because they held the address first).
   */
  async list(
    appId: string,
    caller: Access,
    query: { orgId?: string; userId?: string; limit: number; afterId?: string },
  ): Promise<{ invitations: Invitation[]; hasMore: boolean }> {
    let orgIds: 'all' | string[] = caller.reach('yeep.invitation.read');
    let toEmailKeys: string[] | undefined;
    if (query.userId !== undefined) {
      const user = await this.userRepo.findById(appId, query.userId);
      if (!user) throw userNotFound();
      if (user.id === caller.userId) orgIds = 'all';
      toEmailKeys = user.emails.filter((e) => e.isVerified).map((e) => emailKey(e.address));
    }
    if (query.orgId !== undefined) {
      await this.orgs.get(appId, query.orgId);
      if (orgIds !== 'all' && !orgIds.includes(query.orgId))
        caller.require('yeep.invitation.read', [query.orgId]);
      orgIds = [query.orgId];
    }
    if (orgIds !== 'all' && orgIds.length === 0) {
      // Nothing readable: say so rather than answer an empty list that looks like "no invitations".
      caller.require('yeep.invitation.read');
    }
    const found = await this.tokens.listInvitations(appId, {
      orgIds,
      limit: query.limit + 1,
      ...(toEmailKeys ? { toEmailKeys } : {}),
      ...(query.afterId ? { afterId: query.afterId } : {}),
    });
    return {
      invitations: found.slice(0, query.limit).map(toInvitation),
      hasMore: found.length > query.limit,
    };
  }
}
