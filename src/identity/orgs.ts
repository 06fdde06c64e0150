import type { Clock } from '../shared/clock.js';
import { LatchkeyError } from '../shared/errors.js';
import { newId } from '../shared/ids.js';
import type { UserRepository } from './ports.js';
import type { NewUser, User, UserPatch, UserUpdateCondition } from './types.js';

/** An organisation of an app. Domain orgs stand for an email domain; others are made by hand. */
export interface Org {
  id: string;
  appId: string;
  name: string;
  /** URL-safe, unique per app. */
  slug: string;
  /** Lowercased email domain, unique per app; null for an org not tied to a domain. */
  domain: string | null;
  createdAt: number;
  updatedAt: number;
}

export interface OrgPatch {
  name?: string;
  slug?: string;
}

/**
 * Storage for orgs and memberships. A unique violation (slug or domain taken in the
 * app) surfaces as LatchkeyError `conflict`.
 */
export interface OrgRepository {
  create(org: Org): Promise<void>;
  findById(appId: string, id: string): Promise<Org | null>;
  findBySlug(appId: string, slug: string): Promise<Org | null>;
  findByDomain(appId: string, domain: string): Promise<Org | null>;
  /** Orgs of an app ordered by id, after `afterId`. */
  list(appId: string, query: { limit: number; afterId?: string }): Promise<Org[]>;
  update(appId: string, id: string, patch: OrgPatch, now: number): Promise<Org | null>;
  /** Deletes the org and its memberships. */
  delete(appId: string, id: string): Promise<boolean>;
  /** Idempotent: true when the user was not a member before. */
  addMember(orgId: string, userId: string, now: number): Promise<boolean>;
  removeMember(orgId: string, userId: string): Promise<boolean>;
  /** The orgs a user belongs to, in the order they joined. */
  listForUser(appId: string, userId: string): Promise<Org[]>;
  /** Member user ids ordered by id, after `afterUserId`. */
  listMembers(orgId: string, query: { limit: number; afterUserId?: string }): Promise<string[]>;
}

const MAX_DOMAIN_LENGTH = 253;

/**
 * The domain of an email address as an org key: lowercased, internationalised names
 * in their ASCII (punycode) form, no trailing dot. Null when there is none.
 */
export function emailDomain(address: string): string | null {
  const at = address.lastIndexOf('@');
  if (at < 0) return null;
  let domain = address
    .slice(at + 1)
    .trim()
    .replace(/\.$/, '');
  if (domain === '') return null;
  try {
    // The WHATWG URL parser applies IDNA (Bücher.de → xn--bcher-kva.de) and lowercases.
    domain = new URL(`http://${domain}/`).hostname;
  } catch {
    domain = domain.toLowerCase();
  }
  return domain.length > 0 && domain.length <= MAX_DOMAIN_LENGTH ? domain : null;
}

/** A slug made from a domain: `example.co.uk` → `example-co-uk`. */
export function slugOf(domain: string): string {
  const slug = domain
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '');
  return slug.slice(0, 60) || 'org';
}

/**
 * Orgs by email domain: every domain has one org per app, found or created on first
 * use. A user joins the org of their primary address's domain once that address is
 * verified (an account created with a verified address joins at once; a self-signed-up
 * one when its activation link proves the address), so nobody claims membership of a
 * domain with an address they do not control.
 */
export class OrgService {
  constructor(
    private readonly repo: OrgRepository,
    private readonly clock: Clock,
  ) {}

  /** The org of `domain` in an app, created when missing; concurrent creators agree on one. */
  async ensureForDomain(appId: string, domain: string): Promise<Org> {
    const existing = await this.repo.findByDomain(appId, domain);
    if (existing) return existing;
    const now = this.clock.now();
    const base = slugOf(domain);
    for (const slug of [base, `${base}-${newId().slice(0, 6)}`]) {
      const org: Org = { id: newId(), appId, name: domain, slug, domain, createdAt: now, updatedAt: now };
      try {
        await this.repo.create(org);
        return org;
      } catch (err) {
        if (!(err instanceof LatchkeyError) || err.code !== 'conflict') throw err;
        // Another node created this domain's org at the same moment: use theirs.
        const winner = await this.repo.findByDomain(appId, domain);
        if (winner) return winner;
        // Otherwise the slug belongs to another org (`a-b.com` and `a.b-com`): try a suffixed one.
      }
    }
    throw new LatchkeyError('conflict', `no free slug for the org of ${domain}`);
  }

  /**
   * Finds or creates the org of the user's primary address's domain, and makes the user
   * a member when that address is verified. Idempotent.
   */
  async link(user: User): Promise<Org | null> {
    const primary = user.emails.find((e) => e.isPrimary) ?? user.emails[0];
    const domain = primary ? emailDomain(primary.address) : null;
    if (!primary || !domain) return null;
    const org = await this.ensureForDomain(user.appId, domain);
    if (primary.isVerified) await this.repo.addMember(org.id, user.id, this.clock.now());
    return org;
  }

  /** The orgs a user belongs to, in the order they joined. */
  belongsTo(user: Pick<User, 'appId' | 'id'>): Promise<Org[]> {
    return this.repo.listForUser(user.appId, user.id);
  }
}

/**
 * Puts every new user, and every user whose addresses change, in their domain's org
 * (see OrgService.link), whichever path created them: sign-up, the admin API, the CLI,
 * another dialect. Linking is best effort: the account change has already been stored,
 * so a failure is reported through `onError` and the next address change retries it.
 *
 * Only `create` and `update` are wrapped; every other method is `inner`'s own (the
 * returned object inherits from it), so the repository interface can grow without
 * this decorator having to follow.
 */
export function linkingOrgs(
  inner: UserRepository,
  orgs: OrgService,
  onError: (err: unknown, userId: string) => void,
): UserRepository {
  const linked = async (user: User): Promise<User> => {
    try {
      await orgs.link(user);
    } catch (err) {
      onError(err, user.id);
    }
    return user;
  };
  const repo = Object.create(inner) as UserRepository;
  repo.create = async (user: NewUser, now: number) => linked(await inner.create(user, now));
  repo.update = async (
    appId: string,
    id: string,
    patch: UserPatch,
    now: number,
    only?: UserUpdateCondition,
  ) => {
    const user = await inner.update(appId, id, patch, now, only);
    if (user && patch.emails !== undefined) await linked(user);
    return user;
  };
  return repo;
}
