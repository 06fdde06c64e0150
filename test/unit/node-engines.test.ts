import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../../../', import.meta.url));

interface Manifest {
  name: string;
  version: string;
  engines?: { node?: string };
}

function* installed(dir: string): Generator<Manifest> {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (entry.name.startsWith('.')) continue;
    const path = join(dir, entry.name);
    if (entry.name.startsWith('@')) {
      yield* installed(path);
      continue;
    }
    const manifest = join(path, 'package.json');
    if (existsSync(manifest)) yield JSON.parse(readFileSync(manifest, 'utf8')) as Manifest;
    if (existsSync(join(path, 'node_modules'))) yield* installed(join(path, 'node_modules'));
  }
}

/** `>=22`, `>= 22.3.0`: the lowest version a plain lower bound admits, as [major, minor]. */
function lowerBound(range: string): [number, number] | null {
  const m = /^\s*>=\s*v?(\d+)(?:\.(\d+))?(?:\.\d+)?\s*$/.exec(range);
  return m ? [Number(m[1]), Number(m[2] ?? 0)] : null;
}

test('every installed package that needs a newer Node.js than package.json promises is named in the README', () => {
  const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as Manifest;
  const promised = lowerBound(pkg.engines?.node ?? '');
  assert.ok(promised, 'package.json states engines.node as >=<version>');
  const readme = readFileSync(join(root, 'README.md'), 'utf8');
  const quickStart = readme.slice(readme.indexOf('## Quick start'), readme.indexOf('## First use'));
  assert.ok(
    quickStart.includes(`Node.js ${promised[0]}.${promised[1]} or newer`),
    'the README states the same minimum',
  );
  const needNewer = [...installed(join(root, 'node_modules'))].filter((m) => {
    const bound = lowerBound(m.engines?.node ?? '');
    return bound !== null && (bound[0] > promised[0] || (bound[0] === promised[0] && bound[1] > promised[1]));
  });
  for (const m of needNewer)
    assert.ok(
      quickStart.includes(`\`${m.name}\` ${m.version.split('.')[0]}`) && quickStart.includes('EBADENGINE'),
      `${m.name}@${m.version} declares Node.js ${m.engines?.node}; the README's quick start must say so`,
    );
});
