import { type ChildProcess, spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { setTimeout as delay } from 'node:timers/promises';
import { TIMED_OUT, within } from './time.js';

/** Only the loopback interface is ever listened on or talked to. */
export const LOOPBACK = '127.0.0.1';

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, LOOPBACK, () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });
}

export interface Child {
  name: string;
  pid: number;
  url: string;
  /** The last few kilobytes the child wrote to stderr. */
  stderr(): string;
  exited: Promise<number | null>;
  /** SIGTERM, then SIGKILL if it has not exited within the grace period. */
  stop(): Promise<number | null>;
}

export interface ChildSpec {
  name: string;
  /** Arguments to node (script first, or node flags then the script). */
  args: string[];
  env: NodeJS.ProcessEnv;
  port: number;
  /** GET this path until it answers 200. */
  readyPath: string;
  readyTimeoutMs?: number;
  stopTimeoutMs?: number;
}

const STDERR_KEEP = 16 * 1024;

/** Spawns a node child (stdout to /dev/null) and polls it until it is ready, bounded in time. */
export async function startChild(spec: ChildSpec): Promise<Child> {
  const proc = spawn(process.execPath, spec.args, { env: spec.env, stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  proc.stderr?.on('data', (d: Buffer) => {
    stderr = (stderr + d.toString()).slice(-STDERR_KEEP);
  });
  const exited = new Promise<number | null>((resolve) => proc.once('exit', (code) => resolve(code)));
  const url = `http://${LOOPBACK}:${spec.port}`;
  const child: Child = {
    name: spec.name,
    pid: proc.pid ?? -1,
    url,
    stderr: () => stderr,
    exited,
    stop: () => stopProcess(proc, exited, spec.stopTimeoutMs ?? 20_000),
  };
  try {
    await waitReady(child, proc, `${url}${spec.readyPath}`, spec.readyTimeoutMs ?? 60_000);
  } catch (err) {
    await child.stop();
    throw err;
  }
  return child;
}

async function waitReady(child: Child, proc: ChildProcess, url: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (proc.exitCode !== null || proc.signalCode !== null)
      throw new Error(
        `${child.name} exited before it was ready (${proc.exitCode}): ${child.stderr().slice(-1500)}`,
      );
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(2_000) });
      await res.arrayBuffer();
      if (res.status === 200) return;
    } catch {
      // not listening yet
    }
    await delay(50);
  }
  throw new Error(`${child.name} was not ready within ${timeoutMs} ms: ${child.stderr().slice(-1500)}`);
}

async function stopProcess(
  proc: ChildProcess,
  exited: Promise<number | null>,
  graceMs: number,
): Promise<number | null> {
  if (proc.exitCode !== null || proc.signalCode !== null) return exited;
  proc.kill('SIGTERM');
  const code = await within(exited, graceMs);
  if (code !== TIMED_OUT) return code;
  proc.kill('SIGKILL');
  return exited;
}
