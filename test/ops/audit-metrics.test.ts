import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { backends } from '../helpers/backends.js';
import { runCli } from '../helpers/process.js';
import { bearer, rpc, signIn } from '../helpers/rpc.js';
import { seedUser, startTestServer, TEST_SECRET, type TestServer } from '../helpers/server.js';

interface AuditEntry {
  id: string;
  type: string;
  userId: string | null;
  ip: string | null;
  userAgent: string | null;
  requestId: string | null;
  dialect: string | null;
  details: Record<string, unknown>;
}

for (const backend of await backends()) {
  describe(`audit log and metrics (${backend.name})`, () => {
    let server: TestServer;
    let admin: Record<string, string>;
    before(async () => {
      server = await startTestServer(backend);
      const root = await seedUser(server, { superuser: true });
      admin = bearer(await signIn(server, root.username!, root.password));
    });
    after(async () => server.close());

    async function audit(query: string): Promise<{ events: AuditEntry[]; next?: string }> {
      const res = await server.inject({ method: 'GET', url: `/admin/audit?${query}`, headers: admin });
      assert.equal(res.statusCode, 200, res.body);
      return JSON.parse(res.body) as { events: AuditEntry[]; next?: string };
    }

    test('sign-in outcomes, sign-out, refresh reuse and password changes are recorded with client, agent, request id and dialect', async () => {
      const user = await seedUser(server);
      // The clock moves a millisecond between steps so the events have a definite order.
      const tick = () => server.clock.advance(1);
      await rpc(
        server,
        'session.issueToken',
        { user: user.username, password: 'not-the-password' },
        { 'user-agent': 'acme-tests/1.0', 'x-request-id': 'req-audit-1' },
      );
      tick();
      const token = await signIn(server, user.username!, user.password);
      tick();
      const refreshed = (await rpc(server, 'session.refreshToken', { token })).body['token'] as string;
      server.clock.advance(61_000);
      await rpc(server, 'session.refreshToken', { token });
      tick();
      const second = await signIn(server, user.username!, user.password);
      tick();
      await rpc(
        server,
        'user.update',
        {
          id: user.id,
          password: 'a-brand-new-password',
          secondaryAuthFactor: { type: 'PASSWORD', token: user.password },
        },
        bearer(second),
      );
      tick();
      await rpc(server, 'session.destroyToken', { token: second });
      assert.ok(refreshed);

      const { events } = await audit(`user=${user.id}&limit=50`);
      const types = events.map((e) => e.type).reverse();
      assert.deepEqual(
        types.filter((t) =>
          ['signin.failure', 'signin.success', 'refresh.reuse_detected', 'password.changed'].includes(t),
        ),
        ['signin.failure', 'signin.success', 'refresh.reuse_detected', 'signin.success', 'password.changed'],
      );
      const failure = events.find((e) => e.type === 'signin.failure')!;
      assert.equal(failure.userAgent, 'acme-tests/1.0');
      assert.equal(failure.requestId, 'req-audit-1');
      assert.equal(failure.dialect, 'rpc');
      assert.equal(failure.ip, '127.0.0.1');
      const revocations = events.filter((e) => e.type === 'session.revoked').map((e) => e.details['reason']);
      assert.ok(revocations.includes('refresh_reuse'));
      assert.ok(revocations.includes('sign_out'));
      // Nothing secret in the log.
      assert.ok(!JSON.stringify(events).includes(user.password));
      assert.ok(!JSON.stringify(events).includes(token));
    });

    test('unknown accounts are audited too (no user id), and throttled attempts as such', async () => {
      for (let i = 0; i < 7; i++)
        await rpc(server, 'session.issueToken', { user: 'ghost-user', password: `guess-${i}-xxxx` });
      const { events } = await audit('type=signin.throttled');
      assert.ok(events.length >= 1);
      const failures = await audit('type=signin.failure&limit=500');
      assert.ok(failures.events.some((e) => e.userId === null));
    });

    test('admin actions are recorded; filters and paging work', async () => {
      const created = await server.inject({
        method: 'POST',
        url: '/admin/users',
        headers: { ...admin, 'content-type': 'application/json' },
        payload: JSON.stringify({
          username: 'audited',
          email: 'audited@acme.com',
          password: 'long-enough-password',
        }),
      });
      assert.equal(created.statusCode, 201);
      const actions = await audit('type=admin.action');
      assert.equal(actions.events[0]?.details['route'], '/admin/users');
      assert.equal(actions.events[0]?.details['method'], 'POST');
      const page1 = await audit('limit=2');
      assert.equal(page1.events.length, 2);
      assert.ok(page1.next);
      const page2 = await audit(`limit=2&before=${page1.next}`);
      assert.ok(!page2.events.some((e) => page1.events.some((p) => p.id === e.id)));
      assert.equal(
        (await server.inject({ method: 'GET', url: '/admin/audit?since=yesterday', headers: admin }))
          .statusCode,
        400,
      );
    });

    test('events older than the retention period are purged', async () => {
      const before = (await audit('limit=500')).events.length;
      assert.ok(before > 0);
      server.clock.advance((server.config.audit.retentionDays + 1) * 86_400_000);
      assert.ok((await server.services.audit.purge()) >= before);
      assert.equal(
        (await server.services.audit.list({ limit: 10 })).filter(
          (e) => e.at < server.clock.now() - 86_400_000,
        ).length,
        0,
      );
    });

    test('GET /metrics exposes requests by route pattern, sign-ins per dialect, refresh reuse, refusals and the hash queue', async () => {
      const user = await seedUser(server);
      await signIn(server, user.username!, user.password);
      const res = await server.inject({ method: 'GET', url: '/metrics' });
      assert.equal(res.statusCode, 200);
      assert.match(String(res.headers['content-type']), /^text\/plain/);
      const text = res.body;
      assert.match(text, /latchkey_signin_total\{dialect="rpc",outcome="success"\} \d+/);
      assert.match(
        text,
        /latchkey_http_requests_total\{route="\/api\/session.issueToken",method="POST",status="200"\} \d+/,
      );
      assert.match(
        text,
        /latchkey_http_request_duration_seconds_bucket\{le="0.005",route="\/api\/session.issueToken"/,
      );
      assert.match(text, /latchkey_refresh_reuse_detected_total [1-9]/);
      assert.match(text, /latchkey_rate_limit_refusals_total\{scope="signin"\} [1-9]/);
      assert.match(text, /latchkey_password_hash_queue_depth 0/);
      assert.match(text, /latchkey_password_hash_wait_seconds_count \d+/);
      assert.doesNotMatch(text, /route="\/admin\/users\/[0-9a-f]{24}/, 'ids never become labels');
    });
  });
}

describe('latchkey audit (CLI)', () => {
  test('lists recorded events, filtered by type', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'latchkey-audit-cli-'));
    const env = {
      DATABASE_URL: `sqlite:${join(dir, 'db')}`,
      LATCHKEY_DATA_DIR: dir,
      LATCHKEY_SECRET: TEST_SECRET,
    };
    assert.equal(
      runCli(
        [
          'user',
          'create',
          '--username',
          'daffy',
          '--email',
          'daffy@acme.com',
          '--password',
          'despicable-pass',
        ],
        { env },
      ).code,
      0,
    );
    assert.equal(runCli(['user', 'deactivate', 'daffy'], { env }).code, 0);
    const listed = runCli(['audit', '--type', 'user.deactivated'], { env });
    assert.equal(listed.code, 0, listed.stderr);
    assert.match(listed.stdout, /user\.deactivated\s+[0-9a-f]{24}/);
    const json = runCli(['audit', '--json', '--limit', '5'], { env });
    assert.equal(JSON.parse(json.stdout.trim().split('\n')[0]!).type, 'user.deactivated');
    assert.notEqual(runCli(['audit', '--since', 'never'], { env }).code, 0);
  });
});
