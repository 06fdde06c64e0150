import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { loadConfig } from '../../src/config/load.js';
import { codeAt } from '../../src/mfa/index.js';
import type { SealedValueStore } from '../../src/secrets/ports.js';
import { type ResealCount, ResealService } from '../../src/secrets/reseal.js';
import { createServices } from '../../src/services.js';
import { ManualClock } from '../../src/shared/clock.js';
import { Sealer } from '../../src/shared/seal.js';
import { T0, withStore } from '../conformance/support.js';
import { backends } from '../helpers/backends.js';
import { bearer, rpc, signIn } from '../helpers/rpc.js';
import { seedUser, startTestServer, TEST_ARGON2, TEST_SECRET, type TestServer } from '../helpers/server.js';

const OLD = TEST_SECRET;
const NEW = 'the-next-master-secret-after-rotation-0123456789';

/** The counts of one column, by name, without the column itself. */
function byColumn(counts: ResealCount[]): Record<string, Omit<ResealCount, 'column'>> {
  return Object.fromEntries(counts.map(({ column, ...rest }) => [column, rest]));
}

for (const backend of await backends()) {
  describe(`rotating the master secret (${backend.name})`, () => {
    test('values sealed under the old secret open through the fallback, reseal moves them all to the new secret, and the fallback can then go', async () => {
      const { url, cleanup } = await backend.create();
      const clock = new ManualClock(Date.now());
      let server: TestServer | null = null;
      const start = (secret: string, fallbacks: string[]) =>
        startTestServer(backend, {
          databaseUrl: url,
          clock,
          overrides: { secret, secretFallbacks: fallbacks },
        });
      try {
        // Under the old secret: a signing key, an active and a pending TOTP secret, a
        // grace-window successor and a mail in the outbox, all sealed.
        server = await start(OLD, []);
        const mfaUser = await seedUser(server);
        const pendingUser = await seedUser(server);
        const token = await signIn(server, mfaUser.username!, mfaUser.password);
        const { secret } = (
          await rpc(
            server,
            'totp.enroll',
            { userId: mfaUser.id, secondaryAuthFactor: { type: 'PASSWORD', token: mfaUser.password } },
            bearer(token),
          )
        ).body['totp'] as { secret: string };
        const activated = await rpc(
          server,
          'totp.activate',
          { userId: mfaUser.id, secret, token: codeAt(secret, clock.now()) },
          bearer(token),
        );
        assert.equal(activated.body.ok, true, JSON.stringify(activated.body));
        const enrol = async (user: { id: string; username: string | null; password: string }) => {
          const userToken = await signIn(server!, user.username!, user.password);
          const enrolled = await rpc(
            server!,
            'totp.enroll',
            { userId: user.id, secondaryAuthFactor: { type: 'PASSWORD', token: user.password } },
            bearer(userToken),
          );
          return { userToken, secret: (enrolled.body['totp'] as { secret: string }).secret };
        };
        const { userToken: pendingToken, secret: pendingSecret } = await enrol(pendingUser);
        // Enrolled before the switch, activated after it (before the re-seal).
        const lateUser = await seedUser(server);
        const late = await enrol(lateUser);
        const refreshed = await rpc(server, 'session.refreshToken', { token: pendingToken });
        assert.equal(refreshed.body.ok, true);
        await server.services.mail.enqueue(
          server.services.defaultApp.id,
          'someone@example.com',
          'password-reset',
          {
            appName: 'Latchkey',
            link: 'https://example.com/reset',
          },
        );
        // An apps email code, kept as an HMAC under a key derived from the master secret.
        const codeAddress = 'code-before-rotation@example.com';
        const { verificationToken } = await server.services.appsCore.emailCodes.request(
          server.services.defaultApp,
          codeAddress,
          { ip: null },
        );
        // A pass that began before this mail was queued may be the one running: flush until it is sent.
        for (let pass = 0; pass < 10 && !server.mailbox.some((m) => m.to === codeAddress); pass++)
          await server.services.mail.flush();
        const code = /\b(\d{6})\b/.exec(server.mailbox.find((m) => m.to === codeAddress)!.text)![1]!;
        await server.close();
        server = null;

        // The new secret alone opens none of it: the server says so and does not start.
        await assert.rejects(
          start(NEW, []),
          /does not open under LATCHKEY_SECRET or LATCHKEY_SECRET_FALLBACKS/,
        );

        // New secret, old one as fallback: everything still works.
        clock.advance(30_000);
        server = await start(NEW, [OLD]);
        const withFallback = await signIn(server, mfaUser.username!, mfaUser.password, {
          secondaryAuthFactor: { type: 'TOTP', token: codeAt(secret, clock.now()) },
        });
        assert.equal((await rpc(server, 'user.info', {}, bearer(withFallback))).body.ok, true);
        assert.equal(
          (await rpc(server, 'user.info', {}, bearer(token))).body.ok,
          true,
          'old tokens still verify',
        );
        const verified = await server.services.appsCore.emailCodes.verify(
          server.services.defaultApp,
          verificationToken,
          code,
          { ip: null },
        );
        assert.ok(verified.verifiedEmailToken, 'a code mailed before the switch still verifies');

        const lateToken = await signIn(server, lateUser.username!, lateUser.password);
        const lateActivation = await rpc(
          server,
          'totp.activate',
          { userId: lateUser.id, secret: late.secret, token: codeAt(late.secret, clock.now()) },
          bearer(lateToken),
        );
        assert.equal(lateActivation.body.ok, true, JSON.stringify(lateActivation.body));
        const lateRow = await server.services.store.db
          .selectFrom('mfa_totp')
          .select('secret_sealed')
          .where('user_id', '=', lateUser.id)
          .executeTakeFirstOrThrow();
        assert.equal(
          new Sealer(NEW, 'mfa-secrets').opener(lateRow.secret_sealed),
          0,
          'an activation seals the secret anew under the current secret instead of copying the pending value',
        );

        const dryRun = byColumn(await server.services.reseal.reseal({ dryRun: true }));
        // (The mail may have been sent meanwhile, which erases its body: the next test keeps one unsent.)
        for (const column of [
          'signing_keys.private_sealed',
          'mfa_totp.secret_sealed',
          'mfa_totp_pending.secret_sealed',
          'session_credentials.successor_sealed',
        ]) {
          assert.ok(dryRun[column]!.resealed >= 1, `${column}: ${JSON.stringify(dryRun[column])}`);
        }
        for (const count of Object.values(dryRun)) assert.equal(count.unreadable, 0);
        const resealed = byColumn(await server.services.reseal.reseal({ dryRun: false }));
        // (Mail is left out: the server may send a queued one between the two runs, which erases its body.)
        const { 'mail_outbox.payload_sealed': _mailDry, ...withoutMailDry } = dryRun;
        const { 'mail_outbox.payload_sealed': _mail, ...withoutMail } = resealed;
        assert.deepEqual(withoutMail, withoutMailDry, 'a dry run counts exactly what the real run does');
        const again = byColumn(await server.services.reseal.reseal({ dryRun: false }));
        for (const [column, count] of Object.entries(again)) {
          assert.equal(count.resealed, 0, column);
          assert.equal(count.current, count.total, column);
        }
        await server.close();
        server = null;

        // The fallback is dropped: the keys and TOTP secrets open under the new secret alone.
        clock.advance(30_000);
        server = await start(NEW, []);
        const afterRotation = await signIn(server, mfaUser.username!, mfaUser.password, {
          secondaryAuthFactor: { type: 'TOTP', token: codeAt(secret, clock.now()) },
        });
        assert.equal((await rpc(server, 'user.info', {}, bearer(afterRotation))).body.ok, true);
        const stillPending = await signIn(server, pendingUser.username!, pendingUser.password);
        const finished = await rpc(
          server,
          'totp.activate',
          { userId: pendingUser.id, secret: pendingSecret, token: codeAt(pendingSecret, clock.now()) },
          bearer(stillPending),
        );
        assert.equal(finished.body.ok, true, `the pending enrolment opens: ${JSON.stringify(finished.body)}`);
      } finally {
        await server?.close();
        await cleanup();
      }
    });

    test('a value no configured secret opens is counted and left as it is', async () => {
      const dataDir = mkdtempSync(join(tmpdir(), 'latchkey-reseal-'));
      const { url, cleanup } = await backend.create();
      const config = (secret: string, fallbacks: string[]) =>
        loadConfig({
          env: {},
          configFile: undefined,
          overrides: { secret, secretFallbacks: fallbacks, dataDir, databaseUrl: url },
        });
      const options = { argon2: TEST_ARGON2, sendMail: false, syncRevocations: false };
      try {
        const first = await createServices(config(OLD, []), options);
        // Written straight to the outbox, so that no sender erases them first: one mail
        // sealed under the old secret, and one damaged at rest that no key opens.
        const oldSealer = new Sealer(OLD, 'mail-outbox');
        const outbox = (id: string, payloadSealed: string) =>
          first.repos.outbox.enqueue({
            id,
            appId: first.defaultApp.id,
            to: `${id}@example.com`,
            template: 'password-reset',
            payloadSealed,
            attempts: 0,
            createdAt: Date.now(),
          });
        const readable = 'readable';
        await outbox(readable, oldSealer.seal('{"text":"https://example.com/reset"}'));
        const sealed = oldSealer.seal('{"text":"https://example.com/other"}');
        const parts = sealed.split('.');
        const body = Buffer.from(parts[3]!, 'base64url');
        body[0]! ^= 1;
        const damaged = [...parts.slice(0, 3), body.toString('base64url')].join('.');
        const outboxId = 'damaged';
        await outbox(outboxId, damaged);
        await first.close();

        const rotated = await createServices(config(NEW, [OLD]), options);
        try {
          const counts = byColumn(await rotated.reseal.reseal({ dryRun: false }));
          assert.deepEqual(counts['mail_outbox.payload_sealed'], {
            total: 2,
            current: 0,
            resealed: 1,
            changedMeanwhile: 0,
            unreadable: 1,
          });
          const resealed = await rotated.store.db
            .selectFrom('mail_outbox')
            .select('payload_sealed')
            .where('id', '=', readable)
            .executeTakeFirstOrThrow();
          assert.match(new Sealer(NEW, 'mail-outbox').open(resealed.payload_sealed), /example\.com\/reset/);
          const after = await rotated.store.db
            .selectFrom('mail_outbox')
            .select('payload_sealed')
            .where('id', '=', outboxId)
            .executeTakeFirstOrThrow();
          assert.equal(after.payload_sealed, damaged, 'left untouched');
        } finally {
          await rotated.close();
        }
      } finally {
        await cleanup();
        rmSync(dataDir, { recursive: true, force: true });
      }
    });

    test('a value a server rewrites while it is being re-sealed is read again and judged anew', () =>
      withStore(backend, async ({ repos, store }) => {
        const oldSealer = new Sealer(OLD, 'signing-keys');
        const newSealer = new Sealer(NEW, 'signing-keys');
        const key = (kid: string) =>
          repos.keys.insert({
            kid,
            alg: 'EdDSA',
            publicJwk: '{}',
            privateSealed: oldSealer.seal(`private key ${kid}`),
            createdAt: T0,
            retiredAt: T0,
            verifyUntil: T0,
          });
        const rewrite = (kid: string, sealed: string) =>
          store.db
            .updateTable('signing_keys')
            .set({ private_sealed: sealed })
            .where('kid', '=', kid)
            .execute();
        // The real store, with a server's write slipped in before chosen compare-and-swaps.
        const before = new Map<string, () => Promise<unknown>>();
        const real = repos.sealedValues;
        const racing: SealedValueStore = {
          page: (column, after, limit) => real.page(column, after, limit),
          get: (column, key) => real.get(column, key),
          replace: async (column, key, previous, next) => {
            await before.get(key)?.();
            return real.replace(column, key, previous, next);
          },
        };
        const reseal = new ResealService(racing, { current: NEW, fallbacks: [OLD] });

        await key('k-new');
        await key('k-old');
        await key('k-plain');
        let once = true;
        // A server that already runs on the new secret rewrites this one: nothing is left to do.
        before.set('k-new', async () => {
          if (once) await rewrite('k-new', newSealer.seal('rewritten'));
          once = false;
        });
        // A server rewrites this one under the old secret once: it is re-sealed on the next try.
        let twice = true;
        before.set('k-old', async () => {
          if (twice) await rewrite('k-old', oldSealer.seal('rewritten under the old secret'));
          twice = false;
        });
        const counts = byColumn(await reseal.reseal({ dryRun: false }))['signing_keys.private_sealed']!;
        assert.deepEqual(counts, { total: 3, current: 0, resealed: 2, changedMeanwhile: 1, unreadable: 0 });
        const rows = await store.db.selectFrom('signing_keys').select(['kid', 'private_sealed']).execute();
        const opened = Object.fromEntries(
          rows.map((r) => [r.kid, new Sealer(NEW, 'signing-keys').open(r.private_sealed)]),
        );
        assert.deepEqual(opened, {
          'k-new': 'rewritten',
          'k-old': 'rewritten under the old secret',
          'k-plain': 'private key k-plain',
        });

        // A server that keeps sealing under the old secret: the re-seal stops and says why.
        await key('k-stubborn');
        before.set('k-stubborn', () => rewrite('k-stubborn', oldSealer.seal('again')));
        await assert.rejects(
          reseal.reseal({ dryRun: false }),
          /k-stubborn: rewritten under an old master secret/,
        );
      }));
  });
}
