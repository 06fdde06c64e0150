import assert from 'node:assert/strict';
import { test } from 'node:test';
import { jwtVerify } from 'jose';
import { ManualClock } from '../../src/shared/clock.js';
import { addressKey } from '../../src/throttle/address.js';
import { DeviceTokens } from '../../src/throttle/device-tokens.js';

test('addressKey: IPv6 by its prefix (any spelling), IPv4 and IPv4-mapped by the address', () => {
  assert.equal(addressKey('2001:db8:1:2:3:4:5:6', 64), '2001:db8:1:2:0:0:0:0/64');
  assert.equal(addressKey('2001:DB8:1:2::ffff', 64), '2001:db8:1:2:0:0:0:0/64');
  assert.equal(addressKey('2001:db8:1:2:ab00::', 72), '2001:db8:1:2:ab00:0:0:0/72');
  assert.equal(addressKey('2001:db8:1:2:abff::', 72), '2001:db8:1:2:ab00:0:0:0/72');
  assert.equal(addressKey('2001:db8:1:2:3:4:5:6', 48), '2001:db8:1:0:0:0:0:0/48');
  assert.equal(addressKey('2001:db8::1', 128), '2001:db8:0:0:0:0:0:1/128');
  assert.equal(addressKey('fe80::1%eth0', 64), 'fe80:0:0:0:0:0:0:0/64');
  assert.equal(addressKey('192.0.2.1', 64), '192.0.2.1');
  assert.equal(addressKey('::ffff:192.0.2.1', 64), '192.0.2.1');
  assert.equal(addressKey('not an address', 64), 'not an address');
});

const secrets = { current: 'device-test-master-secret-0123456789', fallbacks: [] };

test('a device token names its account and device, and lives its lifetime', async () => {
  const clock = new ManualClock();
  const devices = new DeviceTokens(secrets, clock, 86400);
  const token = await devices.issue('app1', 'user1', 'device1');
  assert.deepEqual(await devices.verify('app1', token), { deviceId: 'device1', userId: 'user1' });
  assert.equal(await devices.verify('app2', token), null, 'another app’s token is nobody’s');
  assert.equal(await devices.verify('app1', `${token.slice(0, -2)}xx`), null, 'forged');
  assert.equal(await devices.verify('app1', 'garbage'), null);
  assert.equal(await devices.verify('app1', null), null);
  clock.advance(86400_000 + 1000);
  assert.equal(await devices.verify('app1', token), null, 'expired');
});

test('a device token still verifies under a fallback master secret, and never under another', async () => {
  const clock = new ManualClock();
  const token = await new DeviceTokens(secrets, clock, 86400).issue('app1', 'user1');
  const rotated = new DeviceTokens(
    { current: 'a-new-master-secret-0123456789abcdef', fallbacks: [secrets.current] },
    clock,
    86400,
  );
  assert.equal((await rotated.verify('app1', token))?.userId, 'user1');
  const other = new DeviceTokens(
    { current: 'a-new-master-secret-0123456789abcdef', fallbacks: [] },
    clock,
    86400,
  );
  assert.equal(await other.verify('app1', token), null);
});

test('a device token is not an access token: its own type and audience', async () => {
  const token = await new DeviceTokens(secrets, new ManualClock(), 86400).issue('app1', 'user1');
  const [header] = token.split('.');
  assert.equal(JSON.parse(Buffer.from(header!, 'base64url').toString())['typ'], 'latchkey-device+jwt');
  // Even a verifier holding the HMAC key refuses it for any audience but the device one.
  const { deriveKeys } = await import('../../src/shared/master-secrets.js');
  const [key] = deriveKeys(secrets, 'device-tokens');
  await assert.rejects(jwtVerify(token, key!, { audience: 'latchkey' }));
});
