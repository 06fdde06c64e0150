import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';
import { RequestMetrics } from './request-metrics.js';

/**
 * The Prometheus metrics of one process. Label values are bounded (route patterns,
 * not URLs; outcome names; dialect names), so cardinality stays small.
 */
export class Metrics {
  readonly registry = new Registry();
  /** Requests by route, method and status, and their latency: cheap per request, rendered on scrape. */
  readonly requests = new RequestMetrics();
  readonly signIns = new Counter({
    name: 'latchkey_signin_total',
    help: 'Password sign-in attempts by dialect and outcome',
    labelNames: ['dialect', 'outcome'] as const,
    registers: [this.registry],
  });
  readonly mfa = new Counter({
    name: 'latchkey_mfa_total',
    help: 'Second-factor checks by factor type and outcome',
    labelNames: ['type', 'outcome'] as const,
    registers: [this.registry],
  });
  readonly refreshReuse = new Counter({
    name: 'latchkey_refresh_reuse_detected_total',
    help: 'Rotated credentials presented after their grace window (the session was revoked)',
    registers: [this.registry],
  });
  readonly rateLimited = new Counter({
    name: 'latchkey_rate_limit_refusals_total',
    help: 'Attempts refused by throttling, by scope',
    labelNames: ['scope'] as const,
    registers: [this.registry],
  });
  readonly hashWaitSeconds = new Histogram({
    name: 'latchkey_password_hash_wait_seconds',
    help: 'Time a password hash waited for a free worker',
    buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    registers: [this.registry],
  });

  constructor(hashQueue: () => { running: number; queued: number }) {
    this.requests.register(this.registry);
    collectDefaultMetrics({ register: this.registry, prefix: 'latchkey_' });
    new Gauge({
      name: 'latchkey_password_hash_queue_depth',
      help: 'Password hashes waiting for a worker',
      registers: [this.registry],
      collect() {
        this.set(hashQueue().queued);
      },
    });
    new Gauge({
      name: 'latchkey_password_hash_running',
      help: 'Password hashes being computed',
      registers: [this.registry],
      collect() {
        this.set(hashQueue().running);
      },
    });
  }
}
