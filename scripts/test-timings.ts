/**
 * `npm run test:timings`: the slowest files of the last `npm test` run (dist/test-timings.json).
 * `npm run test:timings -- --write` also makes those times test/timings.json, the order
 * in which the next runs start the files (slowest first); commit it when it has changed much.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { printSlowest, type Timings, timingsPath } from './timings.js';

const root = resolve(fileURLToPath(new URL('../..', import.meta.url)));
let timings: Timings;
try {
  timings = JSON.parse(readFileSync(timingsPath(root), 'utf8')) as Timings;
} catch {
  process.stderr.write('No timings yet: run `npm test` first.\n');
  process.exit(1);
}
const count = Number(process.argv.find((a) => /^\d+$/.test(a)) ?? 20);
printSlowest(timings, count);
if (process.argv.includes('--write')) {
  const sorted = Object.fromEntries(Object.entries(timings).sort(([a], [b]) => a.localeCompare(b)));
  writeFileSync(join(root, 'test', 'timings.json'), `${JSON.stringify(sorted, null, 2)}\n`);
  process.stdout.write('Wrote test/timings.json: the next runs start the slowest files first.\n');
}
