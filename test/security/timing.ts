import assert from 'node:assert/strict';

/** The middle value (upper middle for an even count). */
export const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
};

/**
 * Asserts that requests of every class take alike time: within 5 ms or 10 % of the first
 * class. Paired comparison: each round times every class back to back, in an order that
 * rotates from round to round, and the test looks at the median of each class's difference
 * to the first class in the same round. Load that comes and goes (other suites, other
 * processes on a busy machine) hits both sides of a pair alike and cancels out, where
 * comparing plain medians would not; one series is enough, nothing is measured again.
 * Returns the first class's median time, for the caller's own bounds.
 */
export async function assertAlikeTiming(
  classes: string[],
  rounds: number,
  sample: (name: string) => Promise<number>,
  label = '',
): Promise<number> {
  const samples: Array<Record<string, number>> = [];
  for (let round = 0; round < rounds; round++) {
    const times: Record<string, number> = {};
    for (let i = 0; i < classes.length; i++) {
      const name = classes[(round + i) % classes.length]!;
      times[name] = await sample(name);
    }
    samples.push(times);
  }
  const [base, ...others] = classes as [string, ...string[]];
  const baseline = median(samples.map((r) => r[base]!));
  const differences = Object.fromEntries(
    others.map((name) => [name, median(samples.map((r) => r[name]! - r[base]!))]),
  );
  for (const [name, difference] of Object.entries(differences)) {
    assert.ok(
      Math.abs(difference) < 5 || Math.abs(difference) / baseline < 0.1,
      `${label}${name} differs from ${base} by a median ${difference.toFixed(2)} ms (${base} ≈ ${baseline.toFixed(2)} ms): ${JSON.stringify(differences)}`,
    );
  }
  return baseline;
}
