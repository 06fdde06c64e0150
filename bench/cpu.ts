import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';

/**
 * CPU time a process tree spent, as the kernel accounts it per process (Linux /proc).
 * Unlike throughput, it does not move with whoever else shares the cores (the load
 * generator included): a request costs the server what it costs whether the server
 * waited for a core or not. Only the server's own processes are read, so the load
 * generator is left out by construction.
 */

let ticksPerSecond: number | undefined;
function clockTicks(): number {
  if (ticksPerSecond === undefined) {
    try {
      ticksPerSecond = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
    } catch {
      ticksPerSecond = 100;
    }
  }
  return ticksPerSecond;
}

interface StatLine {
  ppid: number;
  /** utime + stime + cutime + cstime, in clock ticks (threads included; reaped children too). */
  ticks: number;
}

function readStat(pid: number): StatLine | null {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) may hold spaces and parentheses; fields after it are plain.
    const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
    // fields[0] is field 3 (state): ppid is field 4, utime 14, stime 15, cutime 16, cstime 17.
    const at = (field: number) => Number(fields[field - 3]);
    return { ppid: at(4), ticks: at(14) + at(15) + at(16) + at(17) };
  } catch {
    return null;
  }
}

/** Every live process whose parent is in `roots`, transitively (cluster workers under a primary). */
function descendants(root: number): number[] {
  const parentOf = new Map<number, number>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const stat = readStat(Number(entry));
    if (stat) parentOf.set(Number(entry), stat.ppid);
  }
  const tree = new Set([root]);
  let grew = true;
  while (grew) {
    grew = false;
    for (const [pid, ppid] of parentOf)
      if (!tree.has(pid) && tree.has(ppid)) {
        tree.add(pid);
        grew = true;
      }
  }
  return [...tree];
}

/**
 * CPU seconds (user + system) spent so far by `pid`, its threads and its descendants
 * (live ones read directly, reaped ones through the parent's cutime/cstime); null when
 * /proc cannot be read (not Linux).
 */
export function treeCpuSeconds(pid: number): number | null {
  const own = readStat(pid);
  if (!own) return null;
  let ticks = 0;
  for (const p of descendants(pid)) ticks += readStat(p)?.ticks ?? 0;
  return ticks / clockTicks();
}

/** Runs `measure` and adds the CPU seconds `pid`'s tree spent meanwhile to `into.seconds`. */
export function trackingCpu<T>(
  pid: number,
  into: { seconds: number | null },
  measure: () => Promise<T>,
): () => Promise<T> {
  return async () => {
    const before = treeCpuSeconds(pid);
    const value = await measure();
    const after = treeCpuSeconds(pid);
    if (before !== null && after !== null) into.seconds = (into.seconds ?? 0) + (after - before);
    return value;
  };
}

/** CPU microseconds per answered request; null when the CPU time is unknown or nothing was answered. */
export function cpuMicrosPerRequest(seconds: number | null, responses: number): number | null {
  return seconds === null || responses === 0 ? null : (seconds * 1e6) / responses;
}
