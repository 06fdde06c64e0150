import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Secret, TOTP } from 'otpauth';
import {
  codeAt,
  matchingStep,
  newRecoveryCode,
  newTotpSecret,
  normalizeRecoveryCode,
  otpauthUri,
  stepAt,
} from '../../src/mfa/index.js';

/** RFC 6238 Appendix B, with the per-hash seeds of verified errata 2866. */
const SEEDS = {
  SHA1: '12345678901234567890',
  SHA256: '12345678901234567890123456789012',
  SHA512: '1234567890123456789012345678901234567890123456789012345678901234',
};
const VECTORS: Array<[number, string, keyof typeof SEEDS]> = [
  [59, '94287082', 'SHA1'],
  [59, '46119246', 'SHA256'],
  [59, '90693936', 'SHA512'],
  [1111111109, '07081804', 'SHA1'],
  [1111111109, '68084774', 'SHA256'],
  [1111111109, '25091201', 'SHA512'],
  [1111111111, '14050471', 'SHA1'],
  [1111111111, '67062674', 'SHA256'],
  [1111111111, '99943326', 'SHA512'],
  [1234567890, '89005924', 'SHA1'],
  [1234567890, '91819424', 'SHA256'],
  [1234567890, '93441116', 'SHA512'],
  [2000000000, '69279037', 'SHA1'],
  [2000000000, '90698825', 'SHA256'],
  [2000000000, '38618901', 'SHA512'],
  [20000000000, '65353130', 'SHA1'],
  [20000000000, '77737706', 'SHA256'],
  [20000000000, '47863826', 'SHA512'],
];

test('the TOTP implementation reproduces RFC 6238 Appendix B (8 digits, 64-bit time)', () => {
  for (const [seconds, expected, algorithm] of VECTORS) {
    const totp = new TOTP({ algorithm, digits: 8, period: 30, secret: Secret.fromUTF8(SEEDS[algorithm]) });
    assert.equal(totp.generate({ timestamp: seconds * 1000 }), expected, `${algorithm} at ${seconds}`);
  }
  // The 6-digit code is the last six digits (RFC 4226 App. D, counter 1).
  const six = new TOTP({ algorithm: 'SHA1', digits: 6, period: 30, secret: Secret.fromUTF8(SEEDS.SHA1) });
  assert.equal(six.generate({ timestamp: 59_000 }), '287082');
});

test('codes are accepted for the current step and one either side, not two', () => {
  const secret = newTotpSecret();
  assert.equal(secret.length, 32);
  assert.match(secret, /^[A-Z2-7]{32}$/);
  const now = 1_800_000_000_000;
  const step = stepAt(now);
  for (const offset of [-1, 0, 1]) {
    assert.equal(matchingStep(secret, codeAt(secret, now + offset * 30_000), now), step + offset);
  }
  for (const offset of [-2, 2]) {
    const code = codeAt(secret, now + offset * 30_000);
    const near = [-1, 0, 1].map((o) => codeAt(secret, now + o * 30_000));
    if (!near.includes(code)) assert.equal(matchingStep(secret, code, now), null);
  }
  assert.equal(matchingStep(secret, 'abcdef', now), null);
  assert.equal(matchingStep(secret, '1234567', now), null);
});

test('the otpauth URI is what authenticator apps accept', () => {
  const uri = otpauthUri('JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP', 'Latchkey', 'coyote@acme.com');
  assert.match(uri, /^otpauth:\/\/totp\/Latchkey:coyote%40acme\.com\?/);
  const params = new URL(uri).searchParams;
  assert.equal(params.get('secret'), 'JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP');
  assert.equal(params.get('issuer'), 'Latchkey');
  assert.equal(params.get('algorithm'), 'SHA1');
  assert.equal(params.get('digits'), '6');
  assert.equal(params.get('period'), '30');
});

test('recovery codes carry 120 bits, read well, and are typed back loosely', () => {
  const codes = new Set(Array.from({ length: 1000 }, newRecoveryCode));
  assert.equal(codes.size, 1000);
  const [code] = codes;
  assert.match(code!, /^([a-km-np-z2-9]{4}-){5}[a-km-np-z2-9]{4}$/);
  assert.equal(normalizeRecoveryCode(` ${code!.toUpperCase().replace(/-/g, ' ')} `), code!.replace(/-/g, ''));
});
