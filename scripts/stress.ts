/**
 * `npm run test:stress`: `npm test` (lint, build, every suite) while a CPU hog keeps one
 * core busy, as on a shared machine. A test that fails here but passes on a quiet machine
 * depends on speed: fix its cause (see README, Tests), never retry it.
 *
 * The hog always stops: when the tests end (killed), when this process dies in any way
 * (it watches its parent), and after STRESS_MAX_MINUTES (60 by default) whatever happens.
 */
import { spawn } from 'node:child_process';
import { startHog } from './hog.js';

const maxMs = Number(process.env['STRESS_MAX_MINUTES'] ?? 60) * 60_000;

const hog = startHog(maxMs);

const tests = spawn('npm', ['test', '--', ...process.argv.slice(2)], { stdio: 'inherit' });
const stop = () => {
  if (hog.exitCode === null) hog.kill('SIGKILL');
};
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    tests.kill(signal);
    stop();
  });
}
tests.on('exit', (code, signal) => {
  stop();
  process.stdout.write(
    `\nStress run (one core kept busy): ${code === 0 ? 'passed' : `failed (${signal ?? code})`}.\n`,
  );
  process.exitCode = code ?? 1;
});
