import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../../', import.meta.url));
const files = [
  'README.md',
  ...readdirSync(join(root, 'docs'))
    .filter((f) => f.endsWith('.md'))
    .map((f) => `docs/${f}`),
];

const withoutCode = (text: string) => text.replace(/```[\s\S]*?```/g, '');

/** GitHub's heading anchors: lower case, punctuation dropped, spaces as hyphens, repeats numbered. */
function anchorsOf(file: string): Set<string> {
  const seen = new Map<string, number>();
  const anchors = new Set<string>();
  for (const m of withoutCode(readFileSync(file, 'utf8')).matchAll(/^#{1,6} +(.+)$/gm)) {
    const slug = m[1]!
      .trim()
      .toLowerCase()
      .replace(/[^\p{L}\p{N} _-]/gu, '')
      .replace(/ /g, '-');
    const n = seen.get(slug) ?? 0;
    seen.set(slug, n + 1);
    anchors.add(n ? `${slug}-${n}` : slug);
  }
  return anchors;
}

test('every relative link of the README and docs/ reaches a file, and its #section exists', () => {
  const broken: string[] = [];
  for (const file of files) {
    for (const m of withoutCode(readFileSync(join(root, file), 'utf8')).matchAll(/\]\(([^)\s]+)\)/g)) {
      const target = m[1]!;
      if (/^[a-z]+:/.test(target)) continue;
      const [path, anchor] = target.split('#');
      const linked = path ? resolve(dirname(join(root, file)), path) : join(root, file);
      if (!existsSync(linked)) broken.push(`${file}: ${target} (no such file)`);
      else if (anchor !== undefined && linked.endsWith('.md') && !anchorsOf(linked).has(anchor))
        broken.push(`${file}: ${target} (no such section)`);
    }
  }
  assert.deepEqual(broken, []);
});

test('docs/rpc.md links the admin API to the section that describes it', () => {
  const rpc = readFileSync(join(root, 'docs/rpc.md'), 'utf8');
  assert.match(rpc, /\[admin API\]\(\.\.\/README\.md#admin-api\)/);
  assert.ok(anchorsOf(join(root, 'README.md')).has('admin-api'));
});
