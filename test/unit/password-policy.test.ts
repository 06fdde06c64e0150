import assert from 'node:assert/strict';
import { test } from 'node:test';
import { checkPasswordPolicy, type PasswordContext } from '../../src/identity/password-policy.js';
import { isLatchkeyError } from '../../src/shared/errors.js';

const NOBODY: PasswordContext = { username: null, emails: [] };
const ALICE: PasswordContext = { username: 'Alice', emails: ['alice.liddell@example.com'] };

function refusal(password: string, context: PasswordContext): string {
  try {
    checkPasswordPolicy(password, context);
  } catch (err) {
    assert.ok(isLatchkeyError(err) && err.code === 'invalid_password', String(err));
    return err.message;
  }
  assert.fail(`${JSON.stringify(password)} was accepted`);
}

test('length counts code points: 8 to 1024, any characters, no composition rules', () => {
  assert.match(refusal('Ab3$xyz', NOBODY), /between 8 and 1024/);
  assert.match(refusal('x'.repeat(1025), NOBODY), /between 8 and 1024/);
  for (const accepted of [
    'lowercase only here',
    'a passphrase with spaces',
    '🔑🔒🗝️🔐🔑🔒🗝️🔐',
    'пароль для входа',
    'x'.repeat(1024),
  ])
    checkPasswordPolicy(accepted, NOBODY);
});

test('common passwords are refused, whatever their case', () => {
  for (const common of ['password', '12345678', 'PassWord', 'qwertyuiop', 'iloveyou', 'trustno1'])
    assert.match(refusal(common, NOBODY), /too common/, common);
  checkPasswordPolicy('correct horse battery staple', NOBODY);
});

test('a password built on the account’s own user name or email address is refused', () => {
  for (const own of ['alice2024', 'ALICE!!!', 'alice.liddell@example.com', 'alice.liddell1', 'xxAlicexx'])
    assert.match(refusal(own, ALICE), /user name or email address/, own);
  // What is left without the names is long enough on its own.
  for (const fine of ['alice-in-a-wonderland', 'alice.liddell went down', 'a lice2024 x'])
    checkPasswordPolicy(fine, ALICE);
  // Names under three characters are not looked for.
  checkPasswordPolicy('al2024al', { username: 'al', emails: [] });
  // Without a context, the same passwords are fine.
  checkPasswordPolicy('alice2024', NOBODY);
});

test('names are compared as the password is: NFKC and case-insensitive', () => {
  const cafe = { username: 'Cafe\u0301', emails: [] };
  assert.match(refusal('caf\u00e9 1234', cafe), /user name/);
});
