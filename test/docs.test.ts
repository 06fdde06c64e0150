import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { configTable, TABLE_END, TABLE_START, tableIn } from '../scripts/config-table.js';
import { SETTINGS } from '../src/config/settings.js';
import { RPC_CODES } from '../src/http/dialects/rpc/envelope.js';
import { RPC_METHODS } from '../src/http/dialects/rpc/index.js';

// Compiled to dist/test/docs.test.js: the documents live two levels up, at the repository root.
const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
const rpcDoc = readFileSync(new URL('../../docs/rpc.md', import.meta.url), 'utf8');

const REGENERATE = 'run `npx tsc -p tsconfig.json && node dist/scripts/config-table.js --write`';

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

test('the README has the configuration table markers', () => {
  assert.ok(readme.includes(TABLE_START), `README.md lacks ${TABLE_START}`);
  assert.ok(readme.includes(TABLE_END), `README.md lacks ${TABLE_END}`);
  assert.ok(readme.indexOf(TABLE_START) < readme.indexOf(TABLE_END), 'the markers are in the wrong order');
});

test("the README's configuration table is the generated one", () => {
  assert.equal(tableIn(readme), configTable(), `the README's configuration table is stale: ${REGENERATE}`);
});

test("every configuration key has a row with its path and environment variable in the README's table", () => {
  const rows = (tableIn(readme) ?? '').split('\n').filter((line) => line.startsWith('|'));
  for (const setting of SETTINGS) {
    const row = rows.find((r) => r.startsWith(`| \`${setting.path}\` |`));
    assert.ok(row, `README.md documents no configuration key ${setting.path}: ${REGENERATE}`);
    assert.ok(
      row.includes(`\`${setting.env}\``),
      `README.md's row for ${setting.path} does not name ${setting.env}: ${REGENERATE}`,
    );
  }
});

test('the README has the two quick-start lines', () => {
  const lines = readme.split('\n').map((line) => line.trim());
  for (const command of ['npm install && npm start', 'npm install && npm test']) {
    assert.ok(lines.includes(command), `README.md lacks the quick-start line \`${command}\``);
  }
});

test('docs/rpc.md has a heading for every rpc method', () => {
  assert.ok(RPC_METHODS.length > 0);
  for (const method of RPC_METHODS) {
    const heading = new RegExp(`^#{2,4} +\`?${escapeRegExp(method.name)}\`? *$`, 'm');
    assert.match(rpcDoc, heading, `docs/rpc.md has no heading for ${method.name}`);
  }
});

test('docs/rpc.md lists every numeric error code of the dialect', () => {
  for (const code of new Set(Object.values(RPC_CODES))) {
    assert.match(rpcDoc, new RegExp(`^\\| ${code} \\|`, 'm'), `docs/rpc.md's error-code table lacks ${code}`);
  }
});
