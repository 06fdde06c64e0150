import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { backends } from '../helpers/backends.js';
import { bearer, type RpcResponse, rpc, signIn } from '../helpers/rpc.js';
import { seedUser, startTestServer, type TestServer } from '../helpers/server.js';
import { assertInvalidBody, assertRpcError, fromManyClients } from './support.js';

interface MethodCase {
  name: string;
  auth: boolean;
  /** Fields the schema requires (reported as any.required when missing). */
  required: string[];
  /** A field given the wrong JSON type, and the Joi type the error is reported as. */
  mistyped?: { body: Record<string, unknown>; path: Array<string | number>; type: string };
  /** Values for required fields that differ from the shared ones below. */
  values?: Record<string, unknown>;
}

const ID = 'a'.repeat(24);

const CASES: MethodCase[] = [
  {
    name: 'session.issueToken',
    auth: false,
    required: ['user', 'password'],
    mistyped: { body: { user: 1, password: 'password1' }, path: ['user'], type: 'string.base' },
  },
  {
    name: 'session.setCookie',
    auth: false,
    required: ['user', 'password'],
    mistyped: { body: { user: 'someone', password: ['x'] }, path: ['password'], type: 'string.base' },
  },
  {
    name: 'session.refreshToken',
    auth: false,
    required: ['token'],
    mistyped: { body: { token: { jwt: 'x' } }, path: ['token'], type: 'string.base' },
  },
  {
    name: 'session.destroyToken',
    auth: false,
    required: ['token'],
    mistyped: { body: { token: null }, path: ['token'], type: 'string.base' },
  },
  { name: 'session.refreshCookie', auth: false, required: [] },
  { name: 'session.destroyCookie', auth: false, required: [] },
  {
    name: 'user.info',
    auth: true,
    required: [],
    mistyped: { body: { id: 7 }, path: ['id'], type: 'string.base' },
  },
  {
    name: 'user.create',
    auth: true,
    required: ['password', 'emails'],
    mistyped: {
      body: { password: 'password-1', emails: [{ address: 'a@b.co', isPrimary: 'yes' }] },
      path: ['emails', 0, 'isPrimary'],
      type: 'boolean.base',
    },
  },
  {
    name: 'user.update',
    auth: true,
    required: ['id'],
    mistyped: { body: { id: ID, emails: 'a@b.co' }, path: ['emails'], type: 'array.base' },
  },
  {
    name: 'user.delete',
    auth: true,
    required: ['id'],
    mistyped: { body: { id: true }, path: ['id'], type: 'string.base' },
  },
  {
    name: 'user.list',
    auth: true,
    required: [],
    mistyped: { body: { limit: '10' }, path: ['limit'], type: 'number.base' },
  },
  {
    name: 'user.activate',
    auth: true,
    required: ['id'],
    mistyped: { body: { id: 1 }, path: ['id'], type: 'string.base' },
  },
  {
    name: 'user.deactivate',
    auth: true,
    required: ['id'],
    mistyped: {
      body: { id: ID, deactivateAfterSeconds: '60' },
      path: ['deactivateAfterSeconds'],
      type: 'number.base',
    },
  },
  {
    name: 'totp.enroll',
    auth: true,
    required: ['userId'],
    mistyped: { body: { userId: 7 }, path: ['userId'], type: 'string.base' },
  },
  {
    name: 'totp.activate',
    auth: true,
    required: ['userId', 'secret', 'token'],
    values: { token: '123456' },
    mistyped: {
      body: { userId: ID, secret: 'A'.repeat(32), token: 123456 },
      path: ['token'],
      type: 'string.base',
    },
  },
  {
    name: 'totp.eject',
    auth: true,
    required: ['userId'],
    mistyped: { body: { userId: [] }, path: ['userId'], type: 'string.base' },
  },
  {
    name: 'totp.generateRecoveryCodes',
    auth: true,
    required: ['userId'],
    mistyped: {
      body: { userId: ID, secondaryAuthFactor: 'x' },
      path: ['secondaryAuthFactor'],
      type: 'object.base',
    },
  },
  {
    name: 'user.forgotPassword',
    auth: false,
    required: ['userKey'],
    mistyped: { body: { userKey: 5 }, path: ['userKey'], type: 'string.base' },
  },
  {
    name: 'user.resetPassword',
    auth: false,
    required: ['token', 'password'],
    mistyped: {
      body: { token: 'x'.repeat(20), password: 12345678 },
      path: ['password'],
      type: 'string.base',
    },
  },
  {
    name: 'user.verifyEmail',
    auth: true,
    required: ['id', 'emailAddress'],
    mistyped: { body: { id: ID, emailAddress: ['a@b.co'] }, path: ['emailAddress'], type: 'string.base' },
  },
  {
    name: 'email.verify',
    auth: false,
    required: ['token'],
    mistyped: { body: { token: 12 }, path: ['token'], type: 'string.base' },
  },
  ...(['user.assignPermission', 'user.revokePermission'] as const).map((name) => ({
    name,
    auth: true,
    required: ['userId', 'permissionId'],
    mistyped: { body: { userId: ID, permissionId: ID, orgId: 5 }, path: ['orgId'], type: 'string.base' },
  })),
  ...(['user.assignRole', 'user.revokeRole'] as const).map((name) => ({
    name,
    auth: true,
    required: ['userId', 'roleId'],
    mistyped: { body: { userId: ID, roleId: true }, path: ['roleId'], type: 'string.base' },
  })),
  {
    name: 'org.create',
    auth: true,
    required: ['name', 'slug'],
    mistyped: { body: { name: 'Acme', slug: 7 }, path: ['slug'], type: 'string.base' },
  },
  ...(['org.info', 'org.update', 'org.delete'] as const).map((name) => ({
    name,
    auth: true,
    required: ['id'],
    mistyped: { body: { id: 1 }, path: ['id'], type: 'string.base' },
  })),
  {
    name: 'org.list',
    auth: true,
    required: [],
    mistyped: { body: { limit: '5' }, path: ['limit'], type: 'number.base' },
  },
  {
    name: 'org.addMember',
    auth: true,
    required: ['userId', 'orgId'],
    mistyped: {
      body: { userId: ID, orgId: ID, permissions: 'x' },
      path: ['permissions'],
      type: 'array.base',
    },
  },
  {
    name: 'org.removeMember',
    auth: true,
    required: ['userId', 'orgId'],
    mistyped: { body: { userId: ID, orgId: null }, path: ['orgId'], type: 'string.base' },
  },
  {
    name: 'permission.create',
    auth: true,
    required: ['name'],
    mistyped: { body: { name: 5 }, path: ['name'], type: 'string.base' },
  },
  ...(
    [
      'permission.info',
      'permission.update',
      'permission.delete',
      'role.info',
      'role.update',
      'role.delete',
    ] as const
  ).map((name) => ({
    name,
    auth: true,
    required: ['id'],
    mistyped: { body: { id: [] }, path: ['id'], type: 'string.base' },
  })),
  {
    name: 'permission.list',
    auth: true,
    required: [],
    mistyped: { body: { isSystemPermission: 'yes' }, path: ['isSystemPermission'], type: 'boolean.base' },
  },
  {
    name: 'role.create',
    auth: true,
    required: ['name', 'permissions'],
    mistyped: { body: { name: 'role-name', permissions: ID }, path: ['permissions'], type: 'array.base' },
  },
  {
    name: 'role.list',
    auth: true,
    required: [],
    mistyped: { body: { isSystemRole: 1 }, path: ['isSystemRole'], type: 'boolean.base' },
  },
  {
    name: 'invitation.create',
    auth: true,
    required: ['user', 'org'],
    mistyped: {
      body: { user: 'someone@example.com', org: ID, tokenExpiresInSeconds: '60' },
      path: ['tokenExpiresInSeconds'],
      type: 'number.base',
    },
  },
  {
    name: 'invitation.accept',
    auth: false,
    required: ['token'],
    mistyped: { body: { token: 5 }, path: ['token'], type: 'string.base' },
  },
  {
    name: 'invitation.list',
    auth: true,
    required: [],
    mistyped: { body: { limit: '1' }, path: ['limit'], type: 'number.base' },
  },
];

/** A body with every required field set to something of the right type. */
function completeBody(c: MethodCase): Record<string, unknown> {
  const values: Record<string, unknown> = {
    user: 'someone',
    password: 'password-123',
    token: 'x'.repeat(20),
    id: ID,
    userId: ID,
    secret: 'A'.repeat(32),
    emails: [{ address: 'someone@example.com', isPrimary: true }],
    userKey: 'someone',
    emailAddress: 'someone@example.com',
    permissionId: ID,
    roleId: ID,
    orgId: ID,
    org: ID,
    name: 'valid-name',
    slug: 'valid-slug',
    permissions: [ID],
    ...c.values,
  };
  return Object.fromEntries(c.required.map((k) => [k, values[k]]));
}

for (const backend of await backends()) {
  describe(`rpc error envelopes (${backend.name})`, () => {
    let server: TestServer;
    let token: string;
    before(async () => {
      server = fromManyClients(await startTestServer(backend));
      const admin = await seedUser(server, { superuser: true });
      token = await signIn(server, admin.username!, admin.password);
    });
    after(async () => server.close());

    for (const c of CASES) {
      const auth = () => (c.auth ? bearer(token) : {});

      test(`${c.name}: unknown keys are rejected with object.allowUnknown`, async () => {
        const details = assertInvalidBody(
          await rpc(server, c.name, { ...completeBody(c), unexpected: 1 }, auth()),
        );
        assert.deepEqual(details, [
          {
            message: '"unexpected" is not allowed',
            path: ['unexpected'],
            type: 'object.allowUnknown',
            context: { key: 'unexpected', label: 'unexpected' },
          },
        ]);
      });

      for (const field of c.required) {
        test(`${c.name}: a missing "${field}" is any.required`, async () => {
          const body = completeBody(c);
          delete body[field];
          const details = assertInvalidBody(await rpc(server, c.name, body, auth()));
          assert.deepEqual(details, [
            {
              message: `"${field}" is required`,
              path: [field],
              type: 'any.required',
              context: { key: field, label: field },
            },
          ]);
        });
      }

      if (c.mistyped) {
        const m = c.mistyped;
        test(`${c.name}: a wrong type is reported at ${m.path.join('.')} as ${m.type}`, async () => {
          const details = assertInvalidBody(await rpc(server, c.name, m.body, auth()));
          assert.equal(details.length, 1);
          assert.deepEqual(details[0]!.path, m.path);
          assert.equal(details[0]!.type, m.type);
          const label = String(m.path.at(-1));
          assert.deepEqual(details[0]!.context, { key: m.path.at(-1), label });
          assert.match(details[0]!.message, new RegExp(`^"${label}" `));
        });
      }

      if (c.auth) {
        test(`${c.name}: without credentials, 10000 comes before any body validation`, async () => {
          for (const body of [undefined, {}, { unexpected: 1 }, completeBody(c)]) {
            assertRpcError(
              await rpc(server, c.name, body),
              10000,
              'Access denied; invalid or missing credentials',
            );
          }
          assertRpcError(await rpc(server, c.name, { unexpected: 1 }, bearer('not-a-token')), 10000);
        });
      }
    }

    test('a domain error keeps HTTP 200 and carries exactly {code, message}', async () => {
      const res = await rpc(server, 'session.issueToken', { user: 'nobody-at-all', password: 'whatever1' });
      assert.equal(res.status, 200);
      assert.deepEqual(res.body, { ok: false, error: { code: 10002, message: 'Invalid user or password' } });
      assert.match(String(res.headers['content-type']), /^application\/json/);
    });

    test('throttled sign-in is a real 429 with Retry-After, inside the envelope', async () => {
      // One client (one address: the suite's server gives every other request its own) guessing one account.
      const user = await seedUser(server);
      const guess = async (): Promise<RpcResponse> => {
        const raw = await server.inject({
          method: 'POST',
          url: '/api/session.issueToken',
          remoteAddress: '192.0.2.50',
          headers: { 'content-type': 'application/json' },
          payload: JSON.stringify({ user: user.username, password: 'wrong-guess' }),
        });
        const body = raw.json() as RpcResponse['body'];
        return { status: raw.statusCode, body, headers: raw.headers, cookies: [], raw };
      };
      let res = await guess();
      for (let i = 0; i < 100 && res.status === 200; i++) {
        assertRpcError(res, 10002);
        res = await guess();
      }
      assert.equal(res.status, 429, JSON.stringify(res.body));
      assert.equal(res.body.ok, false);
      assert.equal(res.body.error?.code, 429);
      assert.equal(typeof res.body.error?.message, 'string');
      assert.match(String(res.headers['retry-after']), /^\d+$/);
      assert.ok(Number(res.headers['retry-after']) >= 1);
      assert.equal(res.headers['cache-control'], 'no-store');
    });
  });
}
