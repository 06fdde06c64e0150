import type { Metric, Registry } from 'prom-client';

const DURATION = 'latchkey_http_request_duration_seconds';
const DURATION_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5] as const;

interface RouteSeries {
  labels: { route: string; method: string; status: string };
  count: number;
  sum: number;
  /** Observations per bucket (not cumulative); the last slot is +Inf. */
  perBucket: number[];
}

interface Sample {
  labels: Record<string, string | number>;
  value: number;
  metricName?: string;
}

/**
 * The per-request metrics (requests by route, method and status, and their latency
 * histogram), recorded on every request. prom-client's Counter.inc and Histogram.observe
 * validate and hash their label object on every call, which cost several microseconds
 * on the token path; here a request costs one Map lookup and a few additions, and the
 * two metrics are built from these sums only when Prometheus scrapes.
 */
export class RequestMetrics {
  private readonly series = new Map<string, RouteSeries>();

  record(route: string, method: string, status: number, seconds: number): void {
    const key = `${method} ${status} ${route}`;
    let series = this.series.get(key);
    if (!series) {
      series = {
        labels: { route, method, status: String(status) },
        count: 0,
        sum: 0,
        perBucket: new Array<number>(DURATION_BUCKETS.length + 1).fill(0),
      };
      this.series.set(key, series);
    }
    series.count += 1;
    series.sum += seconds;
    let bucket = 0;
    while (bucket < DURATION_BUCKETS.length && seconds > (DURATION_BUCKETS[bucket] as number)) bucket += 1;
    series.perBucket[bucket] = (series.perBucket[bucket] ?? 0) + 1;
  }

  /** Registers the two metrics (a counter and a histogram, in Prometheus' own shapes) in `registry`. */
  register(registry: Registry): void {
    registry.registerMetric(
      this.metric(
        'latchkey_http_requests_total',
        'HTTP requests by route pattern, method and status',
        'counter',
        () => [...this.series.values()].map((s) => ({ labels: s.labels, value: s.count })),
      ),
    );
    registry.registerMetric(
      this.metric(DURATION, 'HTTP request latency by route pattern, method and status', 'histogram', () =>
        [...this.series.values()].flatMap(histogramSamples),
      ),
    );
  }

  private metric(name: string, help: string, type: 'counter' | 'histogram', values: () => Sample[]): Metric {
    // The registry needs only these members to render a metric; the cast names it a Metric.
    const metric = {
      name,
      help,
      type,
      aggregator: 'sum',
      // The registry may rename a metric it renders (OpenMetrics counters): read the name then.
      get: async () => ({ name: metric.name, help, type, aggregator: 'sum', values: values() }),
      reset: () => this.series.clear(),
    };
    return metric as unknown as Metric;
  }
}

function histogramSamples(series: RouteSeries): Sample[] {
  const name = DURATION;
  const samples: Sample[] = [];
  let cumulative = 0;
  DURATION_BUCKETS.forEach((bound, i) => {
    cumulative += series.perBucket[i] ?? 0;
    samples.push({
      labels: { le: bound, ...series.labels },
      value: cumulative,
      metricName: `${name}_bucket`,
    });
  });
  samples.push({
    labels: { le: '+Inf', ...series.labels },
    value: series.count,
    metricName: `${name}_bucket`,
  });
  samples.push({ labels: series.labels, value: series.sum, metricName: `${name}_sum` });
  samples.push({ labels: series.labels, value: series.count, metricName: `${name}_count` });
  return samples;
}
