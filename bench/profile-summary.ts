import { readdirSync, readFileSync } from 'node:fs';
import { SourceMap } from 'node:module';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number; columnNumber: number };
  children?: number[];
}

interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

export interface ProfileEntry {
  name: string;
  where: string;
  ms: number;
  /** Of the busy (non-idle) time. */
  share: number;
}

export interface ProfileSummary {
  /** Sampled time outside (idle), ms. */
  busyMs: number;
  /** The functions with the most self time. */
  self: ProfileEntry[];
  /** Self time by place: each source file of ours, each package, node internals, GC. */
  places: ProfileEntry[];
  /** Our own (src/) functions by total time: themselves plus everything they call. */
  ownTotal: ProfileEntry[];
}

/**
 * The event loop's profile among those a server's threads wrote to `dir`: Node names
 * them CPU.<date>.<time>.<pid>.<thread id>.<sequence>.cpuprofile, and the main thread
 * is thread 0 (the hashing workers are the others).
 */
export function mainThreadProfile(dir: string): string {
  const main = readdirSync(dir).find((name) => /^CPU\.\d+\.\d+\.\d+\.0\.\d+\.cpuprofile$/.test(name));
  if (!main) throw new Error(`no main-thread profile in ${dir}`);
  return join(dir, main);
}

/** Turns a script URL into something short: src/….ts, node_modules/<package>, node:… */
function place(url: string): string {
  if (!url) return '(native/vm)';
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (pkg) return `node_modules/${pkg[1]}`;
  const own = /\/dist\/((?:src|bench)\/.+)\.js$/.exec(url);
  if (own) return `${own[1]}.ts`;
  if (url.startsWith('node:')) return url.split('/').slice(0, 2).join('/');
  return url;
}

const sourceMaps = new Map<string, SourceMap | null>();

/** `file:line` of a frame; our compiled files are mapped back to their TypeScript line through the .js.map. */
function location(frame: ProfileNode['callFrame']): string {
  const where = place(frame.url);
  if (!/\/dist\/src\//.test(frame.url)) return `${where}:${frame.lineNumber + 1}`;
  let map = sourceMaps.get(frame.url);
  if (map === undefined) {
    try {
      const path = frame.url.startsWith('file:') ? fileURLToPath(frame.url) : frame.url;
      map = new SourceMap(JSON.parse(readFileSync(`${path}.map`, 'utf8')));
    } catch {
      map = null;
    }
    sourceMaps.set(frame.url, map);
  }
  const entry = map?.findEntry(frame.lineNumber, frame.columnNumber) as { originalLine?: number } | undefined;
  return `${where}:${(entry?.originalLine ?? frame.lineNumber) + 1}`;
}

type Tally = Map<string, { name: string; where: string; us: number }>;

function add(tally: Tally, key: string, name: string, where: string, us: number): void {
  const entry = tally.get(key) ?? { name, where, us: 0 };
  entry.us += us;
  tally.set(key, entry);
}

function top(tally: Tally, busyUs: number, n: number): ProfileEntry[] {
  return [...tally.values()]
    .sort((a, b) => b.us - a.us)
    .slice(0, n)
    .map((e) => ({ name: e.name, where: e.where, ms: e.us / 1000, share: e.us / busyUs }));
}

/** Self and total time per function, and self time per place, from a V8 .cpuprofile (node --cpu-prof). */
export function summariseProfile(file: string, n = 15): ProfileSummary {
  const profile = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const parent = new Map<number, number>();
  for (const node of profile.nodes) for (const child of node.children ?? []) parent.set(child, node.id);
  const self: Tally = new Map();
  const places: Tally = new Map();
  const ownTotal: Tally = new Map();
  let busyUs = 0;
  profile.samples.forEach((id, i) => {
    const us = profile.timeDeltas[i] ?? 0;
    const frame = byId.get(id)?.callFrame;
    if (!frame || frame.functionName === '(idle)') return;
    busyUs += us;
    const name = frame.functionName || '(anonymous)';
    const where = place(frame.url);
    add(self, `${name}@${frame.url}:${frame.lineNumber}:${frame.columnNumber}`, name, location(frame), us);
    add(places, frame.url ? where : name, frame.url ? where : name, '', us);
    // Every src/ function on this sample's stack, once each (recursion counted once).
    const seen = new Set<string>();
    for (let at: number | undefined = id; at !== undefined; at = parent.get(at)) {
      const f = byId.get(at)?.callFrame;
      if (!f || !/\/dist\/src\//.test(f.url)) continue;
      const key = `${f.functionName}@${f.url}:${f.lineNumber}:${f.columnNumber}`;
      if (seen.has(key)) continue;
      seen.add(key);
      add(ownTotal, key, f.functionName || '(anonymous)', location(f), us);
    }
  });
  return {
    busyMs: busyUs / 1000,
    self: top(self, busyUs, n),
    places: top(places, busyUs, n),
    ownTotal: top(ownTotal, busyUs, n),
  };
}
