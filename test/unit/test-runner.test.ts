import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { slowestFirst } from '../../scripts/timings.js';

const HOG = fileURLToPath(new URL('../../scripts/hog.js', import.meta.url));

/** Running: it exists and is not a zombie waiting to be reaped by whoever adopted it. */
const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return true; // no /proc: kill(0) has answered
  }
};

/** Polls for an outcome; the deadline only catches one that never comes. */
async function until(done: () => boolean, message: string): Promise<void> {
  const deadline = Date.now() + 15_000;
  while (!done()) {
    assert.ok(Date.now() < deadline, message);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('the test runner', () => {
  test('starts the slowest files first, and files with no time yet before all', () => {
    const times = { 'a.ts': 10, 'b.ts': 300, 'c.ts': 40 };
    const order = slowestFirst(['a.js', 'b.js', 'c.js', 'new.js'], times, (f) => f.replace('.js', '.ts'));
    assert.deepEqual(order, ['new.js', 'b.js', 'c.js', 'a.js']);
  });

  test("the stress mode's CPU hog ends when the process that started it dies, even by SIGKILL", async () => {
    // A parent that starts a hog (with an hour to run), prints its pid, and waits to be killed.
    const parent = spawn(
      process.execPath,
      [
        '--input-type=module',
        '-e',
        `const { startHog } = await import(${JSON.stringify(HOG)});
         console.log(startHog(3_600_000).pid);
         setInterval(() => {}, 1000);`,
      ],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    const hogPid = Number(
      await new Promise<string>((resolve) => parent.stdout!.once('data', (d) => resolve(String(d)))),
    );
    assert.ok(hogPid > 0 && alive(hogPid), 'the hog runs');
    parent.kill('SIGKILL');
    await until(() => !alive(hogPid), 'the hog outlived its parent');
  });

  test('the hog ends by itself when its time is up', async () => {
    const parent = spawn(
      process.execPath,
      [
        '--input-type=module',
        '-e',
        `const { startHog } = await import(${JSON.stringify(HOG)});
         const hog = startHog(200);
         hog.on('exit', (code) => console.log('hog exited', code));`,
      ],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    let output = '';
    parent.stdout!.on('data', (d) => (output += String(d)));
    await new Promise((resolve) => parent.once('exit', resolve));
    assert.match(output, /hog exited 0/);
  });
});
