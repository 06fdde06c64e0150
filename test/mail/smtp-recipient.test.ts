import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { SMTPServer } from 'smtp-server';
import { SmtpTransport } from '../../src/mail/transports.js';
import { freePort } from '../helpers/process.js';

describe('the SMTP transport sends to exactly one recipient, the stored address', () => {
  let server: SMTPServer;
  let url: string;
  const envelopes: string[][] = [];
  before(async () => {
    server = new SMTPServer({
      authOptional: true,
      disabledCommands: ['STARTTLS', 'AUTH'],
      logger: false,
      onData(stream, session, callback) {
        envelopes.push(session.envelope.rcptTo.map((r) => r.address));
        stream.resume();
        stream.on('end', () => callback());
      },
    });
    const port = await freePort();
    await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', () => resolve()));
    url = `smtp://127.0.0.1:${port}`;
  });
  after(() => new Promise<void>((resolve) => server.close(() => resolve())));

  const message = (to: string) => ({
    to,
    from: 'Latchkey <auth@example.com>',
    subject: 's',
    text: 't',
    html: '<p>t</p>',
  });

  test('a valid address is the one RCPT TO', async () => {
    const transport = new SmtpTransport(url);
    try {
      await transport.send(message('Kate.Victim+tag@victim.example'));
      assert.deepEqual(envelopes.at(-1), ['Kate.Victim+tag@victim.example']);
    } finally {
      await transport.close();
    }
  });

  test('an address a mailer would read as another or as more is refused before any delivery', async () => {
    const transport = new SmtpTransport(url);
    const count = envelopes.length;
    try {
      for (const to of [
        'x,victim@example.com',
        'victim\u0000@example.com',
        'x <victim@example.com>',
        'a@x.example; victim@example.com',
      ]) {
        await assert.rejects(
          transport.send(message(to)),
          /not exactly one valid address/,
          JSON.stringify(to),
        );
      }
      assert.equal(envelopes.length, count, 'nothing reached the SMTP server');
    } finally {
      await transport.close();
    }
  });
});
