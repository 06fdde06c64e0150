import { LatchkeyError } from '../shared/errors.js';
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
// Deliberately loose: one '@', something on each side, a dot in the domain. Deliverability is proven by verification mail.
const EMAIL = /^[^\s@]{1,64}@[^\s@]+\.[^\s@]+$/;

export function usernameKey(username: string): string {
  return username.toLowerCase();
}

export function emailKey(address: string): string {
  return address.toLowerCase();
}

export function checkUsername(username: string): void {
  if (!USERNAME.test(username)) {
    throw new LatchkeyError(
      'invalid_username',
      `Username "${username}" is invalid; use 2 to 30 letters, digits, '_', '-' or '.'`,
    );
  }
  if (RESERVED_USERNAMES.has(usernameKey(username))) {
    throw new LatchkeyError('invalid_username', `Username "${username}" is reserved`);
  }
}

export function isEmailAddress(value: string): boolean {
  return value.length <= 254 && EMAIL.test(value);
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
