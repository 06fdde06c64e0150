import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Registry } from 'prom-client';
import { RequestMetrics } from '../../src/ops/request-metrics.js';

async function render(record: (metrics: RequestMetrics) => void): Promise<string[]> {
  const registry = new Registry();
  const metrics = new RequestMetrics();
  metrics.register(registry);
  record(metrics);
  return (await registry.metrics()).split('\n');
}

test('requests are counted per route pattern, method and status', async () => {
  const lines = await render((m) => {
    m.record('/api/user.info', 'POST', 200, 0.002);
    m.record('/api/user.info', 'POST', 200, 0.004);
    m.record('/api/user.info', 'POST', 401, 0.001);
    m.record('unmatched', 'GET', 404, 0.0005);
  });
  assert.ok(lines.includes('# TYPE latchkey_http_requests_total counter'));
  assert.ok(
    lines.includes('latchkey_http_requests_total{route="/api/user.info",method="POST",status="200"} 2'),
  );
  assert.ok(
    lines.includes('latchkey_http_requests_total{route="/api/user.info",method="POST",status="401"} 1'),
  );
  assert.ok(lines.includes('latchkey_http_requests_total{route="unmatched",method="GET",status="404"} 1'));
});

test('the latency histogram has cumulative buckets, +Inf, sum and count, as Prometheus reads them', async () => {
  const lines = await render((m) => {
    m.record('/x', 'GET', 200, 0.001); // on the 1 ms bound: counts in le="0.001"
    m.record('/x', 'GET', 200, 0.003);
    m.record('/x', 'GET', 200, 0.2);
    m.record('/x', 'GET', 200, 7); // beyond the last bound: +Inf only
  });
  const bucket = (le: string) =>
    lines.find((l) =>
      l.startsWith(
        `latchkey_http_request_duration_seconds_bucket{le="${le}",route="/x",method="GET",status="200"} `,
      ),
    );
  assert.ok(lines.includes('# TYPE latchkey_http_request_duration_seconds histogram'));
  assert.match(bucket('0.001') ?? '', / 1$/);
  assert.match(bucket('0.0025') ?? '', / 1$/);
  assert.match(bucket('0.005') ?? '', / 2$/);
  assert.match(bucket('0.1') ?? '', / 2$/);
  assert.match(bucket('0.25') ?? '', / 3$/);
  assert.match(bucket('2.5') ?? '', / 3$/);
  assert.match(bucket('+Inf') ?? '', / 4$/);
  const sum = lines.find((l) => l.startsWith('latchkey_http_request_duration_seconds_sum{route="/x"'));
  assert.ok(sum, 'sum line');
  assert.ok(Math.abs(Number(sum.split(' ')[1]) - 7.204) < 1e-9, sum);
  assert.ok(
    lines.includes('latchkey_http_request_duration_seconds_count{route="/x",method="GET",status="200"} 4'),
  );
});

test('reset clears the series (registry.resetMetrics)', async () => {
  const registry = new Registry();
  const metrics = new RequestMetrics();
  metrics.register(registry);
  metrics.record('/x', 'GET', 200, 0.001);
  registry.resetMetrics();
  assert.doesNotMatch(await registry.metrics(), /route="\/x"/);
});
