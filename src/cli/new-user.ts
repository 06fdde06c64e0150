import { checkPasswordPolicy } from '../identity/password-policy.js';
import { checkUsername, isEmailAddress } from '../identity/validation.js';
import { isLatchkeyError, LatchkeyError } from '../shared/errors.js';

export interface NewUserOptions {
  email?: string;
  password?: string;
  username?: string;
  fullName?: string;
  superuser: boolean;
  app?: string;
}

/**
 * Checks every field of `user create` before anything is done, and reports all that are
 * missing or invalid in one message (not only the first), so one retry fixes them all.
 * A password left out is read afterwards, and checked then (by the user service).
 */
export function checkNewUserFields(
  opts: NewUserOptions,
  usernamesEnabled: boolean,
): { email: string; username: string | undefined } {
  const problems: string[] = [];
  if (opts.email === undefined) problems.push('--email is required');
  // JSON-quoted: a refused address may hold line breaks or control characters, which
  // would otherwise be written raw to the operator's terminal.
  else if (!isEmailAddress(opts.email))
    problems.push(`--email: ${JSON.stringify(opts.email)} is not an email address`);
  if (opts.app !== undefined) {
    if (opts.username === undefined) problems.push('--username (the login) is required with --app');
  } else if (!usernamesEnabled) {
    if (opts.username !== undefined) problems.push('--username: usernames are disabled on this server');
  } else if (opts.username === undefined) {
    problems.push('--username is required (usernames are enabled)');
  } else {
    try {
      checkUsername(opts.username);
    } catch (err) {
      if (!isLatchkeyError(err)) throw err;
      problems.push(`--username: ${err.message}`);
    }
  }
  if (opts.password !== undefined && opts.app === undefined) {
    try {
      checkPasswordPolicy(opts.password, { username: opts.username ?? null, emails: [opts.email ?? ''] });
    } catch (err) {
      if (!isLatchkeyError(err)) throw err;
      problems.push(`--password: ${err.message}`);
    }
  }
  if (problems.length > 0) throw new LatchkeyError('invalid_input', `user create: ${problems.join('; ')}`);
  return { email: opts.email!, username: opts.username };
}
