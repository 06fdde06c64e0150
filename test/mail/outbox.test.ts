import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { loadConfig } from '../../src/config/load.js';
import { retryDelayMs } from '../../src/mail/index.js';
import { createServices } from '../../src/services.js';
import { ManualClock } from '../../src/shared/clock.js';
import { backends } from '../helpers/backends.js';
import { freePort } from '../helpers/process.js';
import { TEST_ARGON2, TEST_SECRET } from '../helpers/server.js';
import { startSmtp } from '../helpers/smtp.js';

for (const backend of await backends()) {
  describe(`mail outbox over real SMTP (${backend.name})`, () => {
    async function servicesFor(smtpUrl: string) {
      const db = await backend.create();
      const config = loadConfig({
        env: {},
        overrides: {
          secret: TEST_SECRET,
          dataDir: mkdtempSync(join(tmpdir(), 'latchkey-mail-')),
          databaseUrl: db.url,
          'mail.transport': 'smtp',
          'mail.smtpUrl': smtpUrl,
          'mail.from': 'Latchkey <auth@example.com>',
        },
      });
      const clock = new ManualClock(Date.now());
      const services = await createServices(config, { clock, argon2: TEST_ARGON2, sendMail: false });
      const close = async () => {
        await services.close();
        await db.cleanup();
      };
      return { services, clock, close };
    }

    test('a message is delivered over SMTP, and its body is sealed at rest and erased once sent', async () => {
      const smtp = await startSmtp();
      const { services, close } = await servicesFor(smtp.url);
      try {
        const link = 'http://localhost:8080/verify-email?token=secret-one-time-token';
        const id = await services.mail.enqueue(
          services.defaultApp.id,
          'coyote@acme.com',
          'email-verification',
          { appName: 'Acme', link, expiresInMinutes: 180 },
        );
        const row = await services.store.db
          .selectFrom('mail_outbox')
          .selectAll()
          .where('id', '=', id)
          .executeTakeFirstOrThrow();
        assert.ok(!row.payload_sealed.includes('secret-one-time-token'), 'the link is not stored in clear');
        await services.mail.flush();
        const [mail] = await smtp.waitFor(1);
        assert.equal(mail!.subject, 'Verify your email address for Acme');
        assert.match(mail!.text ?? '', /secret-one-time-token/);
        assert.match(
          String(mail!.html),
          /href="http:\/\/localhost:8080\/verify-email\?token=secret-one-time-token"/,
        );
        assert.equal(mail!.from?.value[0]?.address, 'auth@example.com');
        const sent = await services.store.db
          .selectFrom('mail_outbox')
          .selectAll()
          .where('id', '=', id)
          .executeTakeFirstOrThrow();
        assert.ok(sent.sent_at !== null);
        assert.equal(sent.payload_sealed, '');
        assert.equal(await services.repos.outbox.pendingCount(), 0);
      } finally {
        await close();
        await smtp.close();
      }
    });

    test('a failed send is kept and retried with backoff until the server is back; nothing is lost', async () => {
      const port = await freePort();
      const { services, clock, close } = await servicesFor(`smtp://127.0.0.1:${port}`);
      try {
        const id = await services.mail.enqueue(services.defaultApp.id, 'rr@acme.com', 'password-reset', {
          appName: 'Acme',
          link: 'http://x/reset?token=t',
        });
        assert.equal(await services.mail.flush(), 0);
        let row = await services.store.db
          .selectFrom('mail_outbox')
          .selectAll()
          .where('id', '=', id)
          .executeTakeFirstOrThrow();
        assert.equal(row.attempts, 1);
        assert.equal(row.next_attempt_at, clock.now() + retryDelayMs(1));
        assert.ok(row.last_error);
        // Not due yet: nothing is attempted.
        assert.equal(await services.mail.flush(), 0);
        assert.equal(
          (
            await services.store.db
              .selectFrom('mail_outbox')
              .select('attempts')
              .where('id', '=', id)
              .executeTakeFirstOrThrow()
          ).attempts,
          1,
        );
        const smtp = await startSmtp(port);
        try {
          clock.advance(retryDelayMs(1));
          assert.equal(await services.mail.flush(), 1);
          const [mail] = await smtp.waitFor(1);
          assert.equal(mail!.subject, 'Reset your Acme password');
          row = await services.store.db
            .selectFrom('mail_outbox')
            .selectAll()
            .where('id', '=', id)
            .executeTakeFirstOrThrow();
          assert.ok(row.sent_at !== null);
        } finally {
          await smtp.close();
        }
      } finally {
        await close();
      }
    });
  });
}

test('backoff doubles from 5 s and is capped at an hour', () => {
  assert.deepEqual([1, 2, 3, 4, 20].map(retryDelayMs), [5000, 10000, 20000, 40000, 3600_000]);
});
