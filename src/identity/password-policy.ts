import { createRequire } from 'node:module';
import { LatchkeyError } from '../shared/errors.js';
import { normalizePassword, PASSWORD_MAX_LENGTH, PASSWORD_MIN_LENGTH, passwordLength } from './passwords.js';

let common: ReadonlySet<string> | undefined;

/**
 * The common passwords of zxcvbn-ts (about 49,000, from leaked password lists), those
 * long enough to pass the length rule at all: about 18,000. Compared case-insensitively.
 * Loaded at the first password set, not at start-up: unpacking the list takes some 30 ms
 * that the server's start and every CLI command would otherwise pay.
 */
function commonPasswords(): ReadonlySet<string> {
  if (!common) {
    const { dictionary } = createRequire(import.meta.url)('@zxcvbn-ts/language-common') as {
      dictionary: Record<'passwords-common', string[]>;
    };
    common = new Set(dictionary['passwords-common'].filter((p) => passwordLength(p) >= PASSWORD_MIN_LENGTH));
  }
  return common;
}

/** Shorter names and addresses are not searched for: they would refuse too much by chance. */
const CONTEXT_WORD_MIN = 3;

/** What a password must not be built on: the account's own names (NIST 800-63B "context-specific words"). */
export interface PasswordContext {
  username: string | null;
  emails: readonly string[];
}

/**
 * The rules a new password must pass (NIST 800-63B 5.1.1.2; security checklist P4, P5):
 * 8 to 1024 characters of any kind, no composition rules; not a commonly used password;
 * and not built on the account's user name or email address: what is left of the
 * password without them must still be 8 characters long. `alice2024` is refused for
 * alice, `alice-in-a-wonderland` is not.
 */
export function checkPasswordPolicy(password: string, context: PasswordContext): void {
  const length = passwordLength(password);
  if (length < PASSWORD_MIN_LENGTH || length > PASSWORD_MAX_LENGTH) {
    throw new LatchkeyError(
      'invalid_password',
      `Password must be between ${PASSWORD_MIN_LENGTH} and ${PASSWORD_MAX_LENGTH} characters`,
    );
  }
  const folded = normalizePassword(password).toLowerCase();
  if (commonPasswords().has(folded)) {
    throw new LatchkeyError('invalid_password', 'Password is too common; choose another');
  }
  let rest = folded;
  for (const word of contextWords(context)) rest = rest.split(word).join('');
  if (passwordLength(rest) < PASSWORD_MIN_LENGTH) {
    throw new LatchkeyError(
      'invalid_password',
      'Password must not be built on the user name or email address',
    );
  }
}

/** The username, each email address and its local part, folded as the password is. */
function contextWords(context: PasswordContext): string[] {
  const words = new Set<string>();
  const add = (word: string) => {
    const folded = normalizePassword(word).toLowerCase();
    if (passwordLength(folded) >= CONTEXT_WORD_MIN) words.add(folded);
  };
  if (context.username) add(context.username);
  for (const email of context.emails) {
    add(email);
    const at = email.lastIndexOf('@');
    if (at > 0) add(email.slice(0, at));
  }
  // Longest first: an address is taken out whole before its local part is looked for.
  return [...words].sort((a, b) => b.length - a.length);
}
