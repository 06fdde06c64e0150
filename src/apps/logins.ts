import { randomInt } from 'node:crypto';
import { LatchkeyError } from '../shared/errors.js';

/**
 * The reference's login rules (voedger registry, at creation): lowercase letters,
 * digits and `!#$%&'*+-/=.?^_{|}~@`; not starting or ending with `-` or `.`; no `..`;
 * not starting with `sys.`. Sign-in matches logins exactly (no case folding), so a
 * login that breaks these rules simply never exists.
 */
const LOGIN = /^[a-z0-9!#$%&'*+\-/=.?^_{|}~@]+$/;
/** Long enough for any email address (RFC 5321 caps a path at 254). */
export const LOGIN_MAX_LENGTH = 254;

export function isValidLogin(login: string): boolean {
  return (
    login.length > 0 &&
    login.length <= LOGIN_MAX_LENGTH &&
    LOGIN.test(login) &&
    !/^[-.]/.test(login) &&
    !/[-.]$/.test(login) &&
    !login.includes('..') &&
    !login.startsWith('sys.')
  );
}

export function checkLogin(login: string): void {
  if (!isValidLogin(login)) throw new LatchkeyError('invalid_input', `incorrect login format: ${login}`);
}

/** RFC 4648 base32 alphabet, lowercase: what the reference's device logins and passwords are made of. */
const DEVICE_ALPHABET = 'abcdefghijklmnopqrstuvwxyz234567';
const DEVICE_PART_LENGTH = 26;

function randomText(length: number): string {
  let out = '';
  for (let i = 0; i < length; i++) out += DEVICE_ALPHABET[randomInt(DEVICE_ALPHABET.length)];
  return out;
}

/** `device` + 26 random characters, and a 26-character password (130 bits each). */
export function newDeviceCredentials(): { login: string; password: string } {
  return { login: `device${randomText(DEVICE_PART_LENGTH)}`, password: randomText(DEVICE_PART_LENGTH) };
}
