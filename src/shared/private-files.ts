import { chmodSync, closeSync, existsSync, mkdirSync, openSync, statSync } from 'node:fs';

/**
 * The data directory, the SQLite files and the master secret hold password hashes and the
 * key to every sealed value: other local users must not read them. What Latchkey creates
 * is private from the start (0700 / 0600, whatever the umask lets through is narrowed
 * further, never widened); what it finds looser it leaves alone but names in a warning,
 * since an operator may have chosen a group on purpose.
 */
export type Warn = (message: string) => void;

const OTHERS = 0o077;

/** Creates `path` (and missing parents) with mode 0700, or warns when the existing one is open to others. */
export function privateDirectory(path: string, warn: Warn): void {
  if (!existsSync(path)) {
    mkdirSync(path, { recursive: true, mode: 0o700 });
    // mkdir's mode passes through the umask; chmod states it exactly.
    chmodSync(path, 0o700);
    return;
  }
  warnIfShared(path, 0o700, warn);
}

/** Creates an empty `path` with mode 0600 when absent, or warns when the existing one is open to others. */
export function privateFile(path: string, warn: Warn): void {
  if (!existsSync(path)) {
    closeSync(openSync(path, 'a', 0o600));
    chmodSync(path, 0o600);
    return;
  }
  warnIfShared(path, 0o600, warn);
}

/** Warns when an existing `path` grants its group or others any access. */
export function warnIfShared(path: string, wanted: number, warn: Warn): void {
  let mode: number;
  try {
    mode = statSync(path).mode & 0o777;
  } catch {
    return; // gone meanwhile (a -shm removed by the last closing reader): nothing to check
  }
  if (mode & OTHERS)
    warn(
      `${path} has mode ${mode.toString(8).padStart(4, '0')}: other local users can read it; ` +
        `run chmod ${wanted.toString(8)} ${path}`,
    );
}

export const stderrWarn: Warn = (message) => process.stderr.write(`warning: ${message}\n`);
