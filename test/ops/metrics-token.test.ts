import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { backends } from '../helpers/backends.js';
import { startTestServer, type TestServer } from '../helpers/server.js';

const TOKEN = 'metrics-token-for-the-scraper-0123';

describe('/metrics behind metrics.token', async () => {
  const [sqlite] = await backends();
  let server: TestServer;
  before(async () => {
    server = await startTestServer(sqlite!, { overrides: { 'metrics.token': TOKEN } });
  });
  after(async () => server.close());

  test('without the token, or with another, 401 and no metrics', async () => {
    for (const authorization of [undefined, 'Bearer wrong-token', `Basic ${TOKEN}`, `Bearer ${TOKEN}x`]) {
      const res = await server.inject({
        method: 'GET',
        url: '/metrics',
        headers: authorization ? { authorization } : {},
      });
      assert.equal(res.statusCode, 401, String(authorization));
      assert.equal(res.headers['www-authenticate'], 'Bearer realm="metrics"');
      assert.doesNotMatch(res.body, /latchkey_/);
    }
  });

  test('with the token, the Prometheus text', async () => {
    const res = await server.inject({
      method: 'GET',
      url: '/metrics',
      headers: { authorization: `Bearer ${TOKEN}` },
    });
    assert.equal(res.statusCode, 200);
    assert.match(res.body, /^# HELP /m);
  });

  test('the OpenAPI document says so', async () => {
    const doc = (await server.inject({ method: 'GET', url: '/openapi.json' })).json() as {
      paths: Record<string, { get: { security: unknown[]; responses: Record<string, unknown> } }>;
    };
    assert.deepEqual(doc.paths['/metrics']!.get.security, [{ BearerAuth: [] }]);
    assert.ok(doc.paths['/metrics']!.get.responses['401']);
  });
});

describe('/metrics without metrics.token', async () => {
  const [sqlite] = await backends();
  test('answers anyone (the operator keeps it off the public network)', async () => {
    const server = await startTestServer(sqlite!);
    try {
      const res = await server.inject({ method: 'GET', url: '/metrics' });
      assert.equal(res.statusCode, 200);
    } finally {
      await server.close();
    }
  });
});
