import { LatchkeyError } from '../shared/errors.js';
import { caseFold, emailKey, isEmailAddress } from './email-address.js';
import type { Email } from './types.js';

/** Names that would let a user pass for the system in a UI or a mail. */
const RESERVED_USERNAMES = new Set([
  'admin',
  'administrator',
  'root',
  'system',
  'latchkey',
  'support',
  'security',
  'null',
  'me',
]);

const USERNAME = /^[A-Za-z0-9_.-]{2,30}$/;

export { emailKey, isEmailAddress } from './email-address.js';

export function usernameKey(username: string): string {
  return username.toLowerCase();
}

/**
 * The key a login (a username, or an address when it has an '@') is found under, so every
 * counter of a login is kept under the same key the account is looked up by: spellings
 * that find one account (case, fullwidth, the Kelvin sign) share one allowance, and so do
 * those of an unknown login.
 */
export function loginKey(login: string): string {
  return login.includes('@') ? emailKey(login) : usernameKey(login);
}

/**
 * What a name looks like to a reader: NFKC, fully case-folded, without the separators
 * '.', '_' and '-', so `Admin.`, `_admin` and `r-o-o-t` are the reserved names they show.
 */
export function reservedSkeleton(name: string): string {
  return caseFold(name).replace(/[._-]/g, '');
}

export function checkUsername(username: string): void {
  if (!USERNAME.test(username)) {
    throw new LatchkeyError(
      'invalid_username',
      `Username "${username}" is invalid; use 2 to 30 letters, digits, '_', '-' or '.'`,
    );
  }
  if (RESERVED_USERNAMES.has(reservedSkeleton(username))) {
    throw new LatchkeyError('invalid_username', `Username "${username}" is reserved`);
  }
}

/** Exactly one primary email, no duplicates, every address well-formed. */
export function checkEmails(emails: Email[]): void {
  if (emails.length === 0)
    throw new LatchkeyError('invalid_primary_email', 'User must have exactly one primary email');
  const primaries = emails.filter((e) => e.isPrimary).length;
  if (primaries !== 1)
    throw new LatchkeyError('invalid_primary_email', 'User must have exactly one primary email');
  const seen = new Set<string>();
  for (const e of emails) {
    if (!isEmailAddress(e.address))
      throw new LatchkeyError('invalid_input', `Email address "${e.address}" is invalid`);
    const key = emailKey(e.address);
    if (seen.has(key))
      throw new LatchkeyError('duplicate_email', `Email address "${e.address}" is listed twice`);
    seen.add(key);
  }
}
