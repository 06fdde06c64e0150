import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { apps } from '../apps/support.js';
import {
  assertFeathersError,
  type FeathersTestServer,
  post,
  startFeathersServer,
} from '../feathers/support.js';
import { backends } from '../helpers/backends.js';
import { runCli } from '../helpers/process.js';
import { bearer, rpc, signIn } from '../helpers/rpc.js';
import { seedUser, TEST_SECRET } from '../helpers/server.js';

const PASSWORD = 'a long enough password';
const VICTIM = 'kate@victim.example';

/** Addresses a mailer reads as another, or as more than one (each was accepted before). */
const MALFORMED = [
  'kate\u0000@victim.example', // delivered to kate@victim.example
  'x,kate@victim.example', // delivered to kate@victim.example as a second recipient
  'x;kate@victim.example',
  'x <kate@victim.example>',
  'kate@victim.example\r\nBcc: x@evil.example',
  'ka\u200bte@victim.example', // zero-width space
  'ka\u202ete@victim.example', // bidi override
  'k\u0430te@victim.example', // Cyrillic а among Latin letters
];

/** The same mailbox as VICTIM under the canonical key (fullwidth, Kelvin sign, case). */
const TWINS = [
  '\uff4b\uff41\uff54\uff45@victim.example',
  '\u212Aate@victim.example',
  'KATE@\uff36\uff29\uff23\uff34\uff29\uff2d.example',
];

for (const backend of await backends()) {
  describe(`email addresses are one thing in every dialect (${backend.name})`, () => {
    let server: FeathersTestServer;
    let admin: Record<string, string>;
    before(async () => {
      server = await startFeathersServer(backend);
      await seedUser(server, { email: VICTIM });
      const root = await seedUser(server, { superuser: true });
      admin = bearer(await signIn(server, root.username!, root.password));
    });
    after(async () => server.close());

    const userCount = () => server.services.repos.users.count(server.services.defaultApp.id);

    test('feathers /signup refuses malformed addresses with 400, and sends nothing', async () => {
      const users = await userCount();
      for (const email of MALFORMED) {
        assertFeathersError(await post(server, '/signup', { email, password: PASSWORD }), 400, 'BadRequest');
      }
      await server.services.registration.idle();
      await server.services.mail.flush();
      assert.equal(server.smtp.received.length, 0, 'no activation mail went anywhere');
      assert.equal(await userCount(), users, 'no account was created');
    });

    test('feathers /signup: a twin of an existing address is that address (no second account, no mail)', async () => {
      const users = await userCount();
      for (const email of TWINS) {
        const res = await post(server, '/signup', { email, password: PASSWORD });
        assert.equal(res.status, 201, JSON.stringify(res.body)); // the usual answer: it tells nothing
      }
      await server.services.registration.idle();
      await server.services.mail.flush();
      assert.equal(await userCount(), users, 'no look-alike account');
      assert.equal(server.smtp.received.length, 0, 'an activated account gets no mail');
    });

    test('rpc user.create refuses malformed addresses and twins of existing ones', async () => {
      for (const address of MALFORMED) {
        const res = await rpc(
          server,
          'user.create',
          {
            username: `u${Math.random().toString(36).slice(2, 10)}`,
            password: PASSWORD,
            emails: [{ address, isPrimary: true }],
          },
          admin,
        );
        assert.equal(res.body.ok, false, `${JSON.stringify(address)}: ${JSON.stringify(res.body)}`);
        assert.equal(res.status, 200);
      }
      for (const address of TWINS) {
        const res = await rpc(
          server,
          'user.create',
          {
            username: `u${Math.random().toString(36).slice(2, 10)}`,
            password: PASSWORD,
            emails: [{ address, isPrimary: true }],
          },
          admin,
        );
        assert.equal(res.body.ok, false, JSON.stringify(res.body));
        assert.equal(res.body.error?.code, 10005, `${address} is taken`);
      }
      // Two twins in one list are a duplicate too.
      const both = await rpc(
        server,
        'user.create',
        {
          username: `u${Math.random().toString(36).slice(2, 10)}`,
          password: PASSWORD,
          emails: [
            { address: 'stra\u00dfe@other.example', isPrimary: true },
            { address: 'STRASSE@other.example' },
          ],
        },
        admin,
      );
      assert.equal(both.body.ok, false, JSON.stringify(both.body));
    });

    test('the admin API refuses malformed addresses (400) and twins of existing ones (409)', async () => {
      const create = (email: string) =>
        server.inject({
          method: 'POST',
          url: '/admin/users',
          headers: { ...admin, 'content-type': 'application/json' },
          payload: JSON.stringify({
            username: `a${Math.random().toString(36).slice(2, 10)}`,
            email,
            password: PASSWORD,
          }),
        });
      for (const email of MALFORMED)
        assert.equal((await create(email)).statusCode, 400, JSON.stringify(email));
      for (const email of TWINS) assert.equal((await create(email)).statusCode, 409, email);
    });

    test('the apps email-code request refuses malformed addresses (400) and mails nothing', async () => {
      const app = await server.services.appsCore.tenancy.create('acme/emails');
      assert.ok(app);
      const before = await server.services.mail.flush().then(() => server.smtp.received.length);
      for (const email of MALFORMED) {
        const res = await apps(server, 'acme/emails', '/users/email-code', { json: { email } });
        assert.equal(res.status, 400, `${JSON.stringify(email)}: ${JSON.stringify(res.body)}`);
      }
      await server.services.mail.flush();
      assert.equal(server.smtp.received.length, before);
    });
  });
}

describe('the CLI user create takes the same addresses', () => {
  const dir = mkdtempSync(join(tmpdir(), 'latchkey-cli-emails-'));
  const env = {
    DATABASE_URL: `sqlite:${join(dir, 'db.sqlite')}`,
    LATCHKEY_DATA_DIR: dir,
    LATCHKEY_SECRET: TEST_SECRET,
  };
  const create = (username: string, email: string) =>
    runCli(['user', 'create', '--username', username, '--email', email, '--password', PASSWORD], { env });

  test('malformed addresses and twins of an existing one are refused', () => {
    assert.equal(runCli(['migrate'], { env }).code, 0);
    const first = create('kate', VICTIM);
    assert.equal(first.code, 0, first.stderr);
    // A NUL cannot travel in a process argument; the other malformed ones can.
    for (const [i, email] of MALFORMED.filter((e) => !e.includes('\u0000')).entries()) {
      const res = create(`bad${i}`, email);
      assert.notEqual(res.code, 0, JSON.stringify(email));
      assert.match(res.stderr, /^latchkey: user create: --email: ".*" is not an email address\n$/);
    }
    for (const [i, email] of TWINS.entries()) {
      const res = create(`twin${i}`, email);
      assert.notEqual(res.code, 0, email);
      assert.match(res.stderr, /already in use/i);
    }
  });
});
