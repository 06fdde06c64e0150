import { type ChildProcess, spawn } from 'node:child_process';

/**
 * A child process that keeps one core at 100 % until it is killed, its parent (the caller)
 * is gone, or `maxMs` has passed. It spins in slices of 100 ms and checks between them, so
 * it never outlives the run that started it, even one killed with SIGKILL.
 */
export function startHog(maxMs: number): ChildProcess {
  const source = `
const parent = ${process.pid};
const until = Date.now() + ${maxMs};
for (;;) {
  const slice = Date.now() + 100;
  while (Date.now() < slice) {}
  if (process.ppid !== parent || Date.now() > until) process.exit(0);
}
`;
  return spawn(process.execPath, ['-e', source], { stdio: 'ignore' });
}
