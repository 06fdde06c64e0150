import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { isLatchkeyError } from '../../src/shared/errors.js';
import { backends } from '../helpers/backends.js';
import { startTestServer, type TestServer } from '../helpers/server.js';

/**
 * The token service remembers every token it signed or verified, so a token check
 * costs no signature verification; these tests pin down that the remembered path
 * refuses exactly what a full verification would.
 */
const [sqlite] = await backends();
let server: TestServer;
before(async () => {
  server = await startTestServer(sqlite!);
});
after(() => server.close());

const AUDIENCE = 'latchkey/default';

async function signed(ttlMs: number): Promise<string> {
  return server.services.tokens.sign(
    'rpc-token',
    { sid: 's1' },
    { audience: AUDIENCE, subject: 'u1', id: 'j1', expiresAtMs: server.clock.now() + ttlMs },
  );
}

/**
 * The token with one bit of its signature flipped. (Rewriting the last characters of the
 * text is not enough: the last base64url character carries padding bits, so 'AA' → 'AB'
 * can decode to the very same signature.)
 */
function withFlippedSignature(token: string): string {
  const [header, payload, signature] = token.split('.') as [string, string, string];
  const bytes = Buffer.from(signature, 'base64url');
  bytes[0]! ^= 1;
  return `${header}.${payload}.${bytes.toString('base64url')}`;
}

async function refusal(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
  } catch (err) {
    if (isLatchkeyError(err)) return err.code;
    throw err;
  }
  return 'accepted';
}

test('a token just signed verifies with the claims a full verification reads', async () => {
  const token = await signed(60_000);
  const remembered = await server.services.tokens.verify(token, ['rpc-token'], { audience: AUDIENCE });
  server.services.tokens.clearCache();
  const full = await server.services.tokens.verify(token, ['rpc-token'], { audience: AUDIENCE });
  assert.deepEqual({ ...remembered.claims }, { ...full.claims });
  assert.equal(remembered.expiresAtMs, full.expiresAtMs);
  assert.equal(remembered.kind, full.kind);
});

test('the remembered path still checks kind, audience and tampering', async () => {
  const token = await signed(60_000);
  const tokens = server.services.tokens;
  assert.equal(await refusal(tokens.verify(token, ['spa-access'], { audience: AUDIENCE })), 'token_invalid');
  assert.equal(
    await refusal(tokens.verify(token, ['rpc-token'], { audience: 'other/app' })),
    'token_invalid',
  );
  const flipped = withFlippedSignature(token);
  assert.equal(await refusal(tokens.verify(flipped, ['rpc-token'], { audience: AUDIENCE })), 'token_invalid');
});

test('expiry: refused once past exp and the skew, unless the caller accepts expired tokens for long enough', async () => {
  const token = await signed(1000);
  const tokens = server.services.tokens;
  const skewMs = server.config.clockSkewSeconds * 1000;
  server.clock.advance(1000 + skewMs + 1);
  assert.equal(await refusal(tokens.verify(token, ['rpc-token'], { audience: AUDIENCE })), 'token_expired');
  assert.equal(
    await refusal(tokens.verify(token, ['rpc-token'], { audience: AUDIENCE, acceptExpiredForMs: 10_000 })),
    'accepted',
  );
  server.clock.advance(10_000);
  assert.equal(
    await refusal(tokens.verify(token, ['rpc-token'], { audience: AUDIENCE, acceptExpiredForMs: 10_000 })),
    'token_expired',
  );
});

test('a remembered token whose key was withdrawn is refused, expired tokens included', async () => {
  const token = await signed(60_000);
  const tokens = server.services.tokens;
  const overlapMs = 1000;
  await server.services.keys.rotate(overlapMs);
  assert.equal(await refusal(tokens.verify(token, ['rpc-token'], { audience: AUDIENCE })), 'accepted');
  server.clock.advance(overlapMs);
  assert.equal(await refusal(tokens.verify(token, ['rpc-token'], { audience: AUDIENCE })), 'token_invalid');
  assert.equal(
    await refusal(tokens.verify(token, ['rpc-token'], { audience: AUDIENCE, acceptExpiredForMs: 3_600_000 })),
    'token_invalid',
  );
});

test('the remembered claims cannot be changed by one holder for the others', async () => {
  const token = await signed(60_000);
  const first = await server.services.tokens.verify(token, ['rpc-token'], { audience: AUDIENCE });
  assert.throws(() => {
    (first.claims as Record<string, unknown>)['sid'] = 'another';
  }, TypeError);
  const again = await server.services.tokens.verify(token, ['rpc-token'], { audience: AUDIENCE });
  assert.equal(again.claims['sid'], 's1');
});

test('a token too long to verify is refused on the node that signed it too', async () => {
  const token = await server.services.tokens.sign(
    'rpc-token',
    { sid: 's1', padding: 'x'.repeat(17 * 1024) },
    { audience: AUDIENCE, subject: 'u1', id: 'j1', expiresAtMs: server.clock.now() + 60_000 },
  );
  assert.equal(
    await refusal(server.services.tokens.verify(token, ['rpc-token'], { audience: AUDIENCE })),
    'token_invalid',
  );
});

test('the synchronous check (the token check without a promise hop) decides exactly as verify', async () => {
  const tokens = server.services.tokens;
  const sync = (token: string, kinds: Parameters<typeof tokens.verify>[1], options: { audience: string }) => {
    try {
      return tokens.verifyCached(token, kinds, options) === undefined ? 'not cached' : 'accepted';
    } catch (err) {
      if (isLatchkeyError(err)) return err.code;
      throw err;
    }
  };
  const token = await signed(1000);
  const full = await tokens.verify(token, ['rpc-token'], { audience: AUDIENCE });
  assert.equal(tokens.verifyCached(token, ['rpc-token'], { audience: AUDIENCE }), full);
  assert.equal(sync(token, ['spa-access'], { audience: AUDIENCE }), 'token_invalid');
  assert.equal(sync(token, ['rpc-token'], { audience: 'other/app' }), 'token_invalid');
  // A token it has not seen is left to the full verification, never accepted.
  const forged = withFlippedSignature(token);
  assert.equal(sync(forged, ['rpc-token'], { audience: AUDIENCE }), 'not cached');
  server.clock.advance(1000 + server.config.clockSkewSeconds * 1000 + 1);
  assert.equal(sync(token, ['rpc-token'], { audience: AUDIENCE }), 'token_expired');
  const rotating = await signed(60_000);
  await server.services.keys.rotate(1000);
  server.clock.advance(1000);
  assert.equal(sync(rotating, ['rpc-token'], { audience: AUDIENCE }), 'token_invalid');
});
