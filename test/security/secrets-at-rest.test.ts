import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { sql } from 'kysely';
import { codeAt } from '../../src/mfa/index.js';
import { startAppsServer } from '../apps/support.js';
import { backends } from '../helpers/backends.js';
import { bearer, rpc, signIn } from '../helpers/rpc.js';
import { type FlowServer, runSecretFlows } from '../helpers/secret-flows/index.js';
import { seedUser, type TestServer } from '../helpers/server.js';

/** Every row of every table, as text: what an attacker with a database dump would read. */
async function dump(server: TestServer): Promise<string> {
  const db = server.services.store.db;
  const tables =
    server.services.store.kind === 'sqlite'
      ? (
          await sql<{ name: string }>`select name from sqlite_master where type = 'table'`.execute(db)
        ).rows.map((r) => r.name)
      : (
          await sql<{
            name: string;
          }>`select tablename as name from pg_tables where schemaname = 'public'`.execute(db)
        ).rows.map((r) => r.name);
  let out = '';
  for (const table of tables) {
    const rows = (await sql<Record<string, unknown>>`select * from ${sql.table(table)}`.execute(db)).rows;
    out += `${table}\n${JSON.stringify(rows)}\n`;
  }
  return out;
}

for (const backend of await backends()) {
  describe(`no secret in clear in the database or the logs (${backend.name})`, () => {
    let server: FlowServer;
    const secrets: Record<string, string> = {};
    before(async () => {
      server = await startAppsServer(backend);
      const password = 'Correct-Horse-Battery-Staple-42';
      const user = await seedUser(server, { password });
      secrets['password'] = password;
      const token = await signIn(server, user.username!, password);
      secrets['session token'] = token;
      secrets['session token signature'] = token.split('.')[2]!;
      const refreshed = (await rpc(server, 'session.refreshToken', { token })).body['token'] as string;
      secrets['refreshed token signature'] = refreshed.split('.')[2]!;
      const cookie = (await rpc(server, 'session.setCookie', { user: user.username, password })).cookies.find(
        (c) => c.name === 'session',
      )!.value;
      secrets['cookie signature'] = cookie.split('.')[2]!;
      const confirmed = { secondaryAuthFactor: { type: 'PASSWORD', token: password } };
      const totp = (await rpc(server, 'totp.enroll', { userId: user.id, ...confirmed }, bearer(refreshed)))
        .body['totp'] as { secret: string };
      secrets['TOTP secret'] = totp.secret;
      await rpc(
        server,
        'totp.activate',
        { userId: user.id, secret: totp.secret, token: codeAt(totp.secret, server.clock.now()) },
        bearer(refreshed),
      );
      server.clock.advance(30_000);
      const codes = (
        await rpc(
          server,
          'totp.generateRecoveryCodes',
          { userId: user.id, secondaryAuthFactor: { type: 'PASSWORD', token: password } },
          bearer(refreshed),
        )
      ).body['recoveryCodes'] as string[];
      secrets['recovery code'] = codes[3]!;
      secrets['recovery code (typed)'] = codes[3]!.replace(/-/g, '');
      const link = 'https://auth.example.com/reset?token=one-time-token-value-123456789';
      await server.services.mail.enqueue(
        server.services.defaultApp.id,
        user.emails[0]!.address,
        'password-reset',
        { appName: 'Acme', link },
      );
      secrets['one-time link token'] = 'one-time-token-value-123456789';
      // A failed sign-in with a password that is not the user's: it must not be logged either.
      await rpc(server, 'session.issueToken', {
        user: user.username,
        password: 'Wrong-Password-Typed-By-Mistake',
      });
      secrets['mistyped password'] = 'Wrong-Password-Typed-By-Mistake';
      // Every dialect's secret-bearing flow (test/helpers/secret-flows): principal, access and
      // feathers tokens, refresh cookies, login links, MFA challenges and responses, TOTP
      // secrets, verified-email and activation tokens, device and sign-up passwords.
      const flows = await runSecretFlows(server);
      for (const dialect of ['rpc', 'apps', 'spa', 'feathers']) {
        assert.ok(
          Object.keys(flows.secrets).filter((name) => name.startsWith(`${dialect} `)).length >= 4,
          `the ${dialect} flows gave secrets to search for`,
        );
      }
      Object.assign(secrets, flows.secrets);
    });
    after(async () => server.close());

    test('a dump holds no password, TOTP secret, recovery code, token, one-time link or private key', async () => {
      const text = await dump(server);
      assert.ok(text.length > 1000, 'the dump has content');
      for (const [name, value] of Object.entries(secrets)) {
        assert.ok(!text.includes(value), `the database holds the ${name} in clear`);
      }
      assert.doesNotMatch(text, /PRIVATE KEY/, 'a private key in clear');
      assert.match(text, /\$argon2id\$v=19\$/, 'passwords are argon2id hashes');
    });

    test('the logs hold none of them either, nor Authorization headers or cookies', async () => {
      const logs = server.logs.join('');
      assert.ok(logs.includes('"msg":"request"'), 'requests were logged');
      for (const [name, value] of Object.entries(secrets)) {
        assert.ok(!logs.includes(value), `the logs hold the ${name}`);
      }
      assert.doesNotMatch(logs, /authorization|"cookie"|set-cookie/i);
    });
  });
}
