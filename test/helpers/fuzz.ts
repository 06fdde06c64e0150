import fc from 'fast-check';

export interface HostileBodyOptions {
  /** Keys a generated object may use besides random ones ('__proto__', 'constructor', 'prototype' and '' are always in). */
  keys: string[];
  /** The dialect's real body fields, filled with hostile values so checks past the first one run. */
  fields: string[];
  /** Values worth trying on this dialect (an email, a code, an unsigned JWT, ...). */
  leaves?: Array<fc.Arbitrary<unknown>>;
  /** Raw texts worth sending besides the common ones. */
  raw?: string[];
}

/**
 * The fuzzing vocabulary every dialect's fuzz suite shares: hostile JSON values (deep,
 * huge, prototype-polluting), bodies that name real fields with them, and raw texts
 * that are not JSON at all.
 */
export function hostileBodies(options: HostileBodyOptions) {
  const hostileKey = fc.constantFrom('__proto__', 'constructor', 'prototype', ...options.keys, '');
  const leaf = fc.oneof(
    fc.string(),
    fc.string({ unit: 'grapheme', maxLength: 50 }),
    fc.integer(),
    fc.double(),
    fc.boolean(),
    fc.constant(null),
    fc.constant('x'.repeat(20_000)),
    ...(options.leaves ?? []),
  );
  const hostileValue = fc.letrec((tie) => ({
    value: fc.oneof(
      { depthSize: 'small' },
      leaf,
      fc.array(tie('value'), { maxLength: 4 }),
      fc.dictionary(fc.oneof(hostileKey, fc.string()), tie('value'), { maxKeys: 5 }),
    ),
  })).value;
  const nearlyValidBody = fc.record(Object.fromEntries(options.fields.map((f) => [f, hostileValue])), {
    requiredKeys: [],
  });
  const rawBodies = fc.oneof(
    hostileValue.map((v) => JSON.stringify(v)),
    nearlyValidBody.map((v) => JSON.stringify(v)),
    fc.string(),
    fc.constant('{"__proto__":{"polluted":true}}'),
    fc.constant('{"constructor":{"prototype":{"polluted":true}}}'),
    fc.constant(`${'['.repeat(5000)}${']'.repeat(5000)}`),
    fc.uint8Array({ maxLength: 200 }).map((bytes) => Buffer.from(bytes).toString('latin1')),
    fc.constant(''),
    ...(options.raw ?? ['{"a":']).map((r) => fc.constant(r)),
  );
  return { hostileValue, nearlyValidBody, rawBodies };
}
