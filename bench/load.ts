import autocannon from 'autocannon';
import { percentile } from './stats.js';

/** What one connection sends, set up through autocannon's setupClient/requests API. */
export interface ClientPlan {
  /** Extra headers of this connection's requests. */
  headers?: Record<string, string>;
  /** Extra headers of this connection's next request (called before each one). */
  nextHeaders?: () => Record<string, string>;
  /** The body of this connection's next request (called before each one). */
  body?: () => string;
  /** Sees each response of this connection before its next request is built. */
  onResponse?: (status: number, body: string, headers: Record<string, unknown>) => void;
}

export interface LoadSpec {
  /** Base URL (http://127.0.0.1:port). */
  url: string;
  /** Every request is a POST to this path. */
  path: string;
  connections: number;
  durationS: number;
  /** At most this many requests per second on each connection; closed loop when unset. */
  connectionRate?: number;
  headers?: Record<string, string>;
  body?: string;
  /** The plan of connection number `index` (0 … connections-1). */
  client?: (index: number) => ClientPlan;
  /** A success: by default HTTP 200 with the rpc envelope's `ok:true`. */
  isOk?: (status: number, body: string) => boolean;
  /** Every response's status and latency in ms. */
  onLatency?: (status: number, ms: number) => void;
}

export interface LoadResult {
  /** Requests sent per second. */
  offered: number;
  /** Successful responses per second. */
  throughput: number;
  responses: number;
  ok: number;
  failed: number;
  /** Connection errors and timeouts. */
  errors: number;
  durationS: number;
  /** Latency of every response, ms. */
  p50: number;
  p99: number;
  statusCounts: Record<string, number>;
  /** Every response's latency, ms. */
  latencies: number[];
}

export const rpcOk = (status: number, body: string): boolean =>
  status === 200 && body.startsWith('{"ok":true');

/** One autocannon run (pipelining 1, keep-alive) against the loopback interface. */
export function runLoad(spec: LoadSpec): Promise<LoadResult> {
  const isOk = spec.isOk ?? rpcOk;
  const headers = { 'content-type': 'application/json', ...spec.headers };
  const body = spec.body ?? '{}';
  let ok = 0;
  let failed = 0;
  let index = 0;
  // autocannon's own histogram keeps whole milliseconds; these keep the fractions.
  const latencies: number[] = [];
  return new Promise((resolve, reject) => {
    const instance = autocannon(
      {
        url: `${spec.url}${spec.path}`,
        method: 'POST',
        connections: spec.connections,
        pipelining: 1,
        duration: spec.durationS,
        timeout: 10,
        headers,
        body,
        ...(spec.connectionRate ? { connectionRate: spec.connectionRate } : {}),
        setupClient: (client) => {
          const plan = spec.client?.(index++) ?? {};
          const request: autocannon.Request = {
            method: 'POST',
            path: spec.path,
            headers: { ...headers, ...plan.headers },
            body,
            onResponse: (status, text, _context, resHeaders) => {
              if (isOk(status, text)) ok++;
              else failed++;
              plan.onResponse?.(status, text, (resHeaders ?? {}) as Record<string, unknown>);
            },
          };
          const { body: nextBody, nextHeaders } = plan;
          if (nextBody || nextHeaders)
            request.setupRequest = (req) => ({
              ...req,
              ...(nextBody ? { body: nextBody() } : {}),
              ...(nextHeaders ? { headers: { ...req.headers, ...nextHeaders() } } : {}),
            });
          client.setRequests([request]);
        },
      },
      (err, result) => {
        if (err) return reject(err);
        const durationS = result.duration || spec.durationS;
        const statusCounts: Record<string, number> = {};
        for (const [code, stat] of Object.entries(result.statusCodeStats ?? {}))
          statusCounts[code] = stat.count ?? 0;
        resolve({
          offered: result.requests.sent / durationS,
          throughput: ok / durationS,
          responses: ok + failed,
          ok,
          failed,
          errors: result.errors,
          durationS,
          p50: percentile(latencies, 50),
          p99: percentile(latencies, 99),
          statusCounts,
          latencies,
        });
      },
    );
    const onLatency = spec.onLatency;
    instance.on('response', (_client, status, _bytes, ms) => {
      latencies.push(ms);
      onLatency?.(status, ms);
    });
  });
}

/** A short unmeasured run first (JIT warm-up), then the measured one. */
export async function measure(spec: LoadSpec, warmupS: number): Promise<LoadResult> {
  await warmUp(spec, warmupS);
  return runLoad(spec);
}

/** A short unmeasured run, so the server's JIT has compiled the path before it is timed. */
export async function warmUp(spec: LoadSpec, warmupS: number): Promise<void> {
  if (warmupS > 0) await runLoad({ ...spec, durationS: warmupS, onLatency: undefined });
}

/** Several rounds of one load as one: all successes over all the time, percentiles over all responses. */
export function mergeLoads(rounds: LoadResult[]): LoadResult {
  const sum = (pick: (r: LoadResult) => number) => rounds.reduce((total, r) => total + pick(r), 0);
  const durationS = sum((r) => r.durationS);
  const latencies = rounds.flatMap((r) => r.latencies);
  const statusCounts: Record<string, number> = {};
  for (const r of rounds)
    for (const [code, n] of Object.entries(r.statusCounts))
      statusCounts[code] = (statusCounts[code] ?? 0) + n;
  return {
    offered: sum((r) => r.offered * r.durationS) / durationS,
    throughput: sum((r) => r.ok) / durationS,
    responses: sum((r) => r.responses),
    ok: sum((r) => r.ok),
    failed: sum((r) => r.failed),
    errors: sum((r) => r.errors),
    durationS,
    p50: percentile(latencies, 50),
    p99: percentile(latencies, 99),
    statusCounts,
    latencies,
  };
}
