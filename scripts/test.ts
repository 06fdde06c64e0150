/**
 * The test runner behind `npm test`: node's own runner (node:test `run`) over every
 * dist/test/**\/*.test.js, two files at a time, slowest first.
 *
 * Why not `node --test dist/test/`: that runs the files in name order, so a heavy suite
 * named late (test/spa/browser, test/security/*) starts last and the run waits for it
 * alone at the end. Started first, from the times of an earlier run (test/timings.json),
 * the heavy files run beside the light ones, which fill the other slot.
 *
 * After the run it prints the slowest files of this run and records each file's time in
 * dist/test-timings.json (`npm run test:timings` prints them again, and with `--write`
 * makes them test/timings.json, the order of the next runs).
 *
 * `npm test -- dist/test/rpc dist/test/spa/login.test.js` runs only those files or folders.
 */
import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { run } from 'node:test';
import { spec } from 'node:test/reporters';
import { fileURLToPath } from 'node:url';
import { printSlowest, slowestFirst, type Timings, timingsPath } from './timings.js';

const root = resolve(fileURLToPath(new URL('../..', import.meta.url)));
const dist = join(root, 'dist');

/** Every *.test.js under the given files or folders (dist/test by default). */
function testFiles(args: string[]): string[] {
  const found: string[] = [];
  const walk = (path: string) => {
    if (statSync(path).isDirectory()) {
      for (const entry of readdirSync(path).sort()) walk(join(path, entry));
    } else if (path.endsWith('.test.js')) found.push(path);
  };
  for (const arg of args.length > 0 ? args : [join(dist, 'test')]) walk(resolve(arg));
  return found;
}

/** The name a file goes by in the timings: its source path, e.g. test/spa/browser.test.ts. */
const sourceName = (file: string) => relative(dist, file).replace(/\.js$/, '.ts');

/** The committed times (test/timings.json); none, and the files run in name order. */
function committedTimings(): Timings {
  try {
    return JSON.parse(readFileSync(join(root, 'test', 'timings.json'), 'utf8')) as Timings;
  } catch {
    return {};
  }
}

// At most two at once: the machine this suite is timed on has two cores.
const concurrency = Math.min(2, Math.max(1, Number(process.env['TEST_CONCURRENCY'] ?? 2) || 2));
const files = slowestFirst(testFiles(process.argv.slice(2)), committedTimings(), sourceName);
const started = Date.now();
const timings: Timings = {};
let failed = false;

const stream = run({ files, concurrency });
stream.on('test:fail', () => {
  failed = true;
});
// A file's own completion event is named after the file; its duration is the file's time.
stream.on('test:complete', (data: { name: string; file?: string; details: { duration_ms: number } }) => {
  // Only the project's own test files are recorded (a file given from elsewhere is not).
  if (data.file && data.name === data.file && sourceName(data.file).startsWith('test/'))
    timings[sourceName(data.file)] = Math.round(data.details.duration_ms);
});
const report = stream.compose(new spec());
report.pipe(process.stdout);
report.on('end', () => {
  const wallMs = Date.now() - started;
  // A run of some files only updates theirs: the others keep the times of earlier runs.
  let earlier: Timings = {};
  try {
    earlier = JSON.parse(readFileSync(timingsPath(root), 'utf8')) as Timings;
  } catch {
    // the first run
  }
  writeFileSync(timingsPath(root), `${JSON.stringify({ ...earlier, ...timings }, null, 2)}\n`);
  printSlowest(timings, 20, wallMs);
  if (failed) process.exitCode = 1;
});
