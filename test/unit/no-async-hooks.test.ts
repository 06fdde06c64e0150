import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { test } from 'node:test';

// Compiled to dist/test/unit/: the sources live three levels up.
const SRC = new URL('../../../src/', import.meta.url);

/** The code of a source file without its comments (which may well name what the code must not use). */
function codeOf(file: string): string {
  return readFileSync(new URL(file, SRC), 'utf8').replace(/\/\*[\s\S]*?\*\/|\/\/.*$/gm, '');
}

// On Node 20 an active AsyncLocalStorage (like any async hook) installs promise hooks for
// every promise of the process: it cost about a third of the token check's throughput.
// The request context is passed explicitly instead (contextOf in src/http/client.ts);
// this keeps a convenient import from bringing the hooks back.
test('nothing in src uses AsyncLocalStorage or node:async_hooks', () => {
  const files = readdirSync(SRC, { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.ts'));
  assert.ok(files.length > 50, `the sources were not found under ${SRC.pathname}`);
  const offenders = files.filter((file) =>
    /AsyncLocalStorage|['"](node:)?async_hooks['"]/.test(codeOf(file)),
  );
  assert.deepEqual(offenders, []);
});
