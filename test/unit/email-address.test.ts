import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { checkUsername, emailKey, isEmailAddress } from '../../src/identity/validation.js';

describe('email addresses: one validator', () => {
  test('refuses controls, line breaks, separators, brackets, whitespace and format characters', () => {
    const refused = [
      'victim\u0000@example.com', // NUL: a mailer dropped it and delivered to victim@
      'victim\u0001@example.com', // C0
      'victim\u0085@example.com', // C1 (NEL)
      'victim\u009f@example.com', // C1
      'victim@example.com\r\nBcc: x@evil.example',
      'victim@example.com\n',
      'x,victim@example.com', // a list: a mailer sent to both
      'x;victim@example.com',
      '<victim@example.com>',
      'Evil <victim@example.com>',
      'x@evil.example>victim@example.com',
      'vic tim@example.com',
      'victim@example.com ',
      'vic\u00a0tim@example.com', // no-break space
      'vic\u3000tim@example.com', // ideographic space
      'vic\u200btim@example.com', // zero-width space
      'vic\u200ctim@example.com', // zero-width non-joiner
      'vic\u200dtim@example.com', // zero-width joiner
      'vic\u2060tim@example.com', // word joiner
      'vic\ufefftim@example.com', // BOM
      'vic\u202etim@example.com', // right-to-left override
      'vic\u200ftim@example.com', // right-to-left mark
      'vic\u2066tim@example.com', // left-to-right isolate
      'vic\u00adtim@example.com', // soft hyphen
      'victim\uff0cx@example.com', // fullwidth comma: a comma after NFKC
      'victim\uff20example.com', // fullwidth '@' only: no '@' as stored
      'a\uff20b.example@example.com', // two '@' after NFKC
      '"victim"@example.com',
      'victim(comment)@example.com',
      'group:victim@example.com',
      'victim@[127.0.0.1]',
      'vic\\tim@example.com',
      'vic\ud800tim@example.com', // lone surrogate
      'victim@example', // no dot in the domain
      'victim@127.0.0.1',
      'victim@-example.com',
      'victim@exa_mple.com',
      '@example.com',
      'victim@',
      'a@b@example.com',
    ];
    for (const address of refused) assert.equal(isEmailAddress(address), false, JSON.stringify(address));
  });

  test('accepts ordinary and internationalised addresses', () => {
    for (const address of [
      'victim@example.com',
      'Victim.Name+tag@Sub.Example.CO.UK',
      "o'hara@example.ie",
      'ünïcödé@bücher.de',
      'иван@пример.рф',
      '山田@例え.jp',
      'tarō.山田@example.jp', // Latin with Han: allowed as Japanese names are written
      'a@xn--bcher-kva.de',
    ]) {
      assert.equal(isEmailAddress(address), true, address);
    }
  });

  test('RFC 5321 lengths: local part at most 64 octets, address at most 254', () => {
    const domain = '@example.com';
    assert.equal(isEmailAddress(`${'a'.repeat(64)}${domain}`), true);
    assert.equal(isEmailAddress(`${'a'.repeat(65)}${domain}`), false);
    // Octets, not characters: 32 two-octet letters are 64 octets, 33 are 66.
    assert.equal(isEmailAddress(`${'é'.repeat(32)}${domain}`), true);
    assert.equal(isEmailAddress(`${'é'.repeat(33)}${domain}`), false);
    const label = 'd'.repeat(60);
    const exactly254 = `${'a'.repeat(64)}@${label}.${label}.${label}.${'e'.repeat(254 - 65 - 3 * 61 - 4)}.com`;
    assert.equal(new TextEncoder().encode(exactly254).length, 254);
    assert.equal(isEmailAddress(exactly254), true);
    assert.equal(isEmailAddress(`${exactly254.slice(0, 64)}@x${exactly254.slice(65)}`), false, '255 octets');
  });

  test('mixed-script local parts and domain labels are refused (a Cyrillic а among Latin letters)', () => {
    assert.equal(isEmailAddress('vict\u0456m@example.com'), false, 'Cyrillic і');
    assert.equal(isEmailAddress('p\u0430ypal@example.com'), false, 'Cyrillic а in the local part');
    assert.equal(isEmailAddress('victim@ex\u0430mple.com'), false, 'Cyrillic а in a domain label');
    assert.equal(isEmailAddress('victim@xn--exmple-4nf.com'), false, 'the same label in its ASCII form');
    assert.equal(isEmailAddress('vict\u03bfr@example.com'), false, 'Greek ο');
    // Each label is judged on its own: a Cyrillic label under a Latin TLD is one script per label.
    assert.equal(isEmailAddress('victim@пример.com'), true);
  });
});

describe('email addresses: one key', () => {
  test('NFKC then full case fold: fullwidth, Kelvin sign, ß and ẞ collide with their plain forms', () => {
    const key = emailKey('victim@example.com');
    assert.equal(emailKey('VICTIM@EXAMPLE.COM'), key);
    assert.equal(emailKey('\uff56\uff49\uff43\uff54\uff49\uff4d@example.com'), key, 'fullwidth');
    assert.equal(emailKey('victim@\uff45\uff58\uff41\uff4d\uff50\uff4c\uff45.com'), key, 'fullwidth domain');
    assert.equal(emailKey('\u212Aate@example.com'), emailKey('kate@example.com'), 'Kelvin sign K');
    assert.equal(emailKey('\u212Aate@example.com'), 'kate@example.com');
    // Full folding, not toLowerCase: 'ß'.toLowerCase() stays 'ß', the fold is 'ss'.
    assert.equal(emailKey('stra\u00dfe@example.com'), 'strasse@example.com');
    assert.equal(emailKey('STRA\u1e9eE@example.com'), 'strasse@example.com', 'capital sharp s');
    assert.equal(emailKey('\ufb03x@example.com'), 'ffix@example.com', 'ligature');
  });

  test('the domain is in IDNA ASCII form', () => {
    assert.equal(emailKey('Jörg@Bücher.DE'), 'jörg@xn--bcher-kva.de');
    assert.equal(emailKey('jörg@xn--bcher-kva.de'), 'jörg@xn--bcher-kva.de');
  });

  test('mixed scripts are not merged by the key (they are refused by the validator instead)', () => {
    assert.notEqual(emailKey('p\u0430ypal@example.com'), emailKey('paypal@example.com'));
  });
});

describe('reserved usernames are compared on a skeleton', () => {
  test('case fold, NFKC and . _ - removed', () => {
    for (const name of [
      'admin.',
      '_admin',
      'root.',
      'Admin',
      'ROOT',
      'r.o.o.t',
      'ad-min',
      'Sys_Tem',
      '.latchkey.',
    ]) {
      assert.throws(() => checkUsername(name), /is reserved/, name);
    }
    for (const name of ['admins', 'rooted', 'administrators', 'me2']) checkUsername(name);
  });
});
