import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { AuditEvent } from '../../src/audit/types.js';
import { createApp, readyLogin } from '../apps/support.js';
import { backends } from '../helpers/backends.js';
import { bearer, signIn } from '../helpers/rpc.js';
import { seedUser, startTestServer, type TestServer } from '../helpers/server.js';
import { enrollTotp } from '../spa/support.js';

/** Who sends one request: its own address, agent and request id. */
interface Client {
  ip: string;
  userAgent: string;
  requestId: string;
}

/** What a request sends; `json` goes as application/json. */
interface Call {
  method?: 'POST' | 'DELETE';
  url: string;
  json?: unknown;
  headers?: Record<string, string>;
}

const PORTAL = 'acme/context';
const SPA_COOKIE = 'it24_refresh_token';

// The core learns who asked only from the context each HTTP path passes down (contextOf):
// a call site that forgets it records nulls. These tests walk every dialect's write paths
// and check that the events name the very request that caused them.
for (const backend of await backends()) {
  describe(`audit events carry the context of the request that caused them (${backend.name})`, () => {
    let server: TestServer;
    let admin: Record<string, string>;
    let adminId: string;
    before(async () => {
      server = await startTestServer(backend);
      const root = await seedUser(server, { superuser: true });
      adminId = root.id;
      admin = bearer(await signIn(server, root.username!, root.password));
    });
    after(async () => server.close());

    // Every request comes from a client of its own, so an event can only carry these
    // values if they came from that very request.
    let clients = 0;
    function newClient(): Client {
      clients++;
      return {
        ip: `198.51.100.${clients}`,
        userAgent: `context-tests/${clients}`,
        requestId: `ctx-${backend.name}-${clients}`,
      };
    }

    async function send(client: Client, call: Call) {
      const res = await server.inject({
        method: call.method ?? 'POST',
        url: call.url,
        remoteAddress: client.ip,
        headers: {
          'user-agent': client.userAgent,
          'x-request-id': client.requestId,
          ...(call.json === undefined ? {} : { 'content-type': 'application/json' }),
          ...call.headers,
        },
        ...(call.json === undefined ? {} : { payload: JSON.stringify(call.json) }),
      });
      const body = (res.body ? JSON.parse(res.body) : {}) as Record<string, unknown>;
      const cookie = res.cookies.find((c) => c.name === SPA_COOKIE);
      return { status: res.statusCode, body, cookie: cookie && `${SPA_COOKIE}=${cookie.value}` };
    }

    /**
     * Sends a request from a new client and checks that it caused each event of `events`
     * (a type and whose), carrying that client's address, agent and request id and `dialect`.
     */
    async function expectEvents(
      call: Call,
      expected: { status: number; dialect: string; events: Array<{ type: string; userId: string }> },
    ) {
      const client = newClient();
      const res = await send(client, call);
      assert.equal(res.status, expected.status, JSON.stringify(res.body));
      const found: AuditEvent[] = [];
      for (const { type, userId } of expected.events) {
        // Events are recorded without holding up the answer: wait for this one.
        let event: AuditEvent | undefined;
        const deadline = Date.now() + 15_000;
        while (!event && Date.now() < deadline) {
          const events = await server.services.audit.list({ userId, type, limit: 500 });
          event = events.find((e) => e.requestId === client.requestId);
          if (!event) await new Promise((resolve) => setTimeout(resolve, 20));
        }
        assert.ok(event, `no ${type} event for request ${client.requestId}`);
        assert.deepEqual(
          { ip: event.ip, userAgent: event.userAgent, requestId: event.requestId, dialect: event.dialect },
          { ...client, dialect: expected.dialect },
          type,
        );
        found.push(event);
      }
      return { ...res, events: found };
    }

    /** One event of `type` for `userId`. */
    function expectEvent(
      call: Call,
      expected: { status: number; dialect: string; type: string; userId: string },
    ) {
      const { type, userId, ...rest } = expected;
      return expectEvents(call, { ...rest, events: [{ type, userId }] });
    }

    async function signInsCounted(dialect: string): Promise<void> {
      const metrics = (await server.inject({ method: 'GET', url: '/metrics' })).body;
      for (const outcome of ['success', 'invalid_credentials']) {
        const line = new RegExp(`latchkey_signin_total\\{dialect="${dialect}",outcome="${outcome}"\\} [1-9]`);
        assert.match(metrics, line);
      }
    }

    test('rpc: a failed and a successful sign-in, and a sign-out', async () => {
      const user = await seedUser(server);
      const credentials = { user: user.username, password: user.password };
      const expected = { userId: user.id, dialect: 'rpc', status: 200 };
      await expectEvent(
        { url: '/api/session.issueToken', json: { ...credentials, password: 'not-the-password' } },
        { ...expected, type: 'signin.failure' },
      );
      const { body } = await expectEvent(
        { url: '/api/session.issueToken', json: credentials },
        { ...expected, type: 'signin.success' },
      );
      const { events } = await expectEvent(
        { url: '/api/session.destroyToken', json: { token: body['token'] } },
        { ...expected, type: 'session.revoked' },
      );
      assert.equal(events[0]!.details['reason'], 'sign_out');
      await signInsCounted('rpc');
    });

    test('apps: a failed and a successful sign-in, a sign-out, MFA verifications and a password change', async () => {
      const app = await createApp(server, PORTAL);
      const user = await readyLogin(server, app, 'ada@example.com', 'ada-password-1');
      const url = (path: string) => `/api/v2/apps/${PORTAL}${path}`;
      const credentials = { login: 'ada@example.com', password: 'ada-password-1' };
      const expected = { userId: user.id, dialect: 'apps', status: 200 };
      await expectEvent(
        { url: url('/auth/login'), json: { ...credentials, password: 'not-the-password' } },
        { ...expected, status: 401, type: 'signin.failure' },
      );
      const { body } = await expectEvent(
        { url: url('/auth/login'), json: credentials },
        { ...expected, type: 'signin.success' },
      );
      const { events } = await expectEvent(
        { url: url('/auth/logout'), headers: bearer(body['principalToken'] as string) },
        { ...expected, status: 204, type: 'session.revoked' },
      );
      assert.equal(events[0]!.details['reason'], 'sign_out');
      await signInsCounted('apps');

      const totp = await enrollTotp(server, user);
      const wrong = totp.code() === '000000' ? '111111' : '000000';
      await expectEvent(
        {
          url: url('/auth/login'),
          json: { ...credentials, secondaryAuthFactor: { type: 'TOTP', token: wrong } },
        },
        { ...expected, status: 401, type: 'mfa.failure' },
      );
      const secondFactor = { type: 'TOTP', token: totp.code() };
      await expectEvent(
        { url: url('/auth/login'), json: { ...credentials, secondaryAuthFactor: secondFactor } },
        { ...expected, type: 'mfa.success' },
      );
      server.clock.advance(30_000);
      await expectEvent(
        {
          url: url('/users/change-password'),
          json: {
            login: credentials.login,
            oldPassword: credentials.password,
            newPassword: 'ada-password-2',
            secondaryAuthFactor: { type: 'TOTP', token: totp.code() },
          },
        },
        { ...expected, type: 'password.changed' },
      );
    });

    test('spa: a failed and a successful sign-in, a refresh cookie reused, a sign-out, and the hosted MFA step', async () => {
      const user = await seedUser(server);
      const credentials = { email: user.emails[0]!.address, password: user.password };
      const expected = { userId: user.id, dialect: 'spa', status: 200 };
      await expectEvent(
        { url: '/login', json: { ...credentials, password: 'not-the-password' } },
        { ...expected, status: 401, type: 'signin.failure' },
      );
      const { cookie } = await expectEvent(
        { url: '/login', json: credentials },
        { ...expected, type: 'signin.success' },
      );
      await signInsCounted('spa');

      // The cookie rotated once, then replayed after the grace window.
      const rotated = await send(newClient(), { url: '/refresh', headers: { cookie: cookie! } });
      assert.equal(rotated.status, 200, JSON.stringify(rotated.body));
      server.clock.advance(61_000);
      await expectEvent(
        { url: '/refresh', headers: { cookie: cookie! } },
        { ...expected, status: 401, type: 'refresh.reuse_detected' },
      );

      const again = await send(newClient(), { url: '/login', json: credentials });
      const { events } = await expectEvent(
        { url: '/logout', headers: { cookie: again.cookie! } },
        { ...expected, type: 'session.revoked' },
      );
      assert.equal(events[0]!.details['reason'], 'sign_out');

      // A user with MFA answers the challenge on the hosted page's API (the pages dialect).
      const totp = await enrollTotp(server, user);
      const challenge = await send(newClient(), { url: '/login', json: credentials });
      const { request } = challenge.body['mfa'] as { request: string };
      const wrong = totp.code() === '000000' ? '111111' : '000000';
      await expectEvent(
        { url: '/mfa/challenge/respond', json: { request, code: wrong } },
        { ...expected, dialect: 'pages', status: 401, type: 'mfa.failure' },
      );
      await expectEvent(
        { url: '/mfa/challenge/respond', json: { request, code: totp.code() } },
        { ...expected, dialect: 'pages', type: 'mfa.success' },
      );
    });

    test('feathers: a failed and a successful sign-in, a token reused, and a sign-out', async () => {
      const user = await seedUser(server);
      const credentials = { email: user.emails[0]!.address, password: user.password };
      const expected = { userId: user.id, dialect: 'feathers', status: 201 };
      await expectEvent(
        { url: '/auth/login', json: { ...credentials, password: 'not-the-password' } },
        { ...expected, status: 401, type: 'signin.failure' },
      );
      const { body } = await expectEvent(
        { url: '/auth/login', json: credentials },
        { ...expected, type: 'signin.success' },
      );
      await signInsCounted('feathers');
      const token = body['token'] as string;
      assert.equal((await send(newClient(), { url: '/auth/token', json: { token } })).status, 201);
      server.clock.advance(61_000);
      await expectEvent(
        { url: '/auth/token', json: { token } },
        { ...expected, status: 401, type: 'refresh.reuse_detected' },
      );

      const { body: again } = await expectEvent(
        { url: '/auth/login', json: credentials },
        { ...expected, type: 'signin.success' },
      );
      const { events } = await expectEvent(
        { method: 'DELETE', url: '/authentication', headers: bearer(again['token'] as string) },
        { ...expected, status: 200, type: 'session.revoked' },
      );
      assert.equal(events[0]!.details['reason'], 'sign_out');
    });

    test('admin: a deactivation and a deletion (each ending the sessions), and the admin actions themselves', async () => {
      const user = await seedUser(server);
      const action = { type: 'admin.action', userId: adminId };
      await expectEvents(
        { url: `/admin/users/${user.id}/deactivate`, headers: admin },
        { status: 200, dialect: 'admin', events: [{ type: 'user.deactivated', userId: user.id }, action] },
      );
      await expectEvents(
        { method: 'DELETE', url: `/admin/users/${user.id}`, headers: admin },
        { status: 204, dialect: 'admin', events: [{ type: 'user.deleted', userId: user.id }, action] },
      );
    });
  });
}
