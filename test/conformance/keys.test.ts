import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { newId } from '../../src/shared/ids.js';
import { isUniqueViolation } from '../../src/storage/sql/database.js';
import type { StoredKey } from '../../src/tokens/ports.js';
import { backends } from '../helpers/backends.js';
import { rejection, T0, withStore } from './support.js';

function key(createdAt: number, overrides: Partial<StoredKey> = {}): StoredKey {
  const kid = newId();
  return {
    kid,
    alg: 'EdDSA',
    publicJwk: JSON.stringify({ kty: 'OKP', crv: 'Ed25519', x: kid, kid }),
    privateSealed: `v1.${kid}.sealed`,
    createdAt,
    retiredAt: null,
    verifyUntil: null,
    ...overrides,
  };
}

for (const backend of await backends()) {
  describe(`KeyRepository on ${backend.name}`, () => {
    test('list is empty at first, then returns every key newest first with every field intact', () =>
      withStore(backend, async ({ repos }) => {
        assert.deepEqual(await repos.keys.list(), []);
        const middle = key(T0 + 1000, { alg: 'HS256' });
        const oldest = key(T0, { retiredAt: T0 + 1000, verifyUntil: T0 + 5000 });
        const newest = key(T0 + 2000);
        for (const k of [middle, oldest, newest]) await repos.keys.insert(k);
        assert.deepEqual(await repos.keys.list(), [newest, middle, oldest]);
      }));

    test('a kid can be inserted only once', () =>
      withStore(backend, async ({ repos }) => {
        const k = key(T0);
        await repos.keys.insert(k);
        const err = await rejection(repos.keys.insert({ ...k, createdAt: T0 + 1 }));
        assert.equal(isUniqueViolation(err), true, `not a unique violation: ${String(err)}`);
        assert.deepEqual(await repos.keys.list(), [k]);
      }));

    test('retireAllExcept retires the current keys but the kept one, and leaves retired keys as they were', () =>
      withStore(backend, async ({ repos }) => {
        const long = key(T0, { retiredAt: T0 + 10, verifyUntil: T0 + 20 });
        const current1 = key(T0 + 100);
        const current2 = key(T0 + 200);
        const keep = key(T0 + 300);
        for (const k of [long, current1, current2, keep]) await repos.keys.insert(k);
        await repos.keys.retireAllExcept(keep.kid, T0 + 400, T0 + 9000);
        assert.deepEqual(await repos.keys.list(), [
          keep,
          { ...current2, retiredAt: T0 + 400, verifyUntil: T0 + 9000 },
          { ...current1, retiredAt: T0 + 400, verifyUntil: T0 + 9000 },
          long,
        ]);
        // a second rotation retires the previously kept key and does not touch the older ones
        const next = key(T0 + 500);
        await repos.keys.insert(next);
        await repos.keys.retireAllExcept(next.kid, T0 + 600, T0 + 20_000);
        assert.deepEqual(await repos.keys.list(), [
          next,
          { ...keep, retiredAt: T0 + 600, verifyUntil: T0 + 20_000 },
          { ...current2, retiredAt: T0 + 400, verifyUntil: T0 + 9000 },
          { ...current1, retiredAt: T0 + 400, verifyUntil: T0 + 9000 },
          long,
        ]);
        // retiring with an unknown kid retires every current key
        await repos.keys.retireAllExcept(newId(), T0 + 700, T0 + 30_000);
        assert.deepEqual((await repos.keys.list())[0], {
          ...next,
          retiredAt: T0 + 700,
          verifyUntil: T0 + 30_000,
        });
      }));
  });
}
