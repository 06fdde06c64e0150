import nodemailer, { type Transporter } from 'nodemailer';
import { isEmailAddress } from '../identity/email-address.js';
import type { MailMessage, MailTransport } from './ports.js';

/**
 * Development transport: prints each message, links included, to standard output as one
 * JSON line shaped like the server's own (pino) log lines, so a log reader keeps working;
 * `jq -r 'select(.mail) | .mail.text'` shows the text. Written whatever LOG_LEVEL says:
 * printing the mail is this transport's whole job. Never for production: it puts one-time
 * links in the output.
 */
export class LogTransport implements MailTransport {
  readonly name = 'log';
  constructor(
    private readonly write: (text: string) => void = (t) => process.stdout.write(t),
    private readonly now: () => number = Date.now,
  ) {}

  async send(m: MailMessage): Promise<void> {
    const line = {
      level: 30,
      time: this.now(),
      msg: `mail to ${m.to}: ${m.subject}`,
      mail: { from: m.from, to: m.to, subject: m.subject, text: m.text },
    };
    this.write(`${JSON.stringify(line)}\n`);
  }

  async close(): Promise<void> {}
}

/** SMTP through nodemailer; the URL carries host, port, credentials and TLS (smtp:// or smtps://). */
export class SmtpTransport implements MailTransport {
  readonly name = 'smtp';
  private readonly transporter: Transporter;

  constructor(url: string) {
    this.transporter = nodemailer.createTransport(url);
  }

  /**
   * Exactly one recipient, the stored address as it is. Given as a string, nodemailer
   * parses `to` as an address list and silently drops what it cannot read: `x,victim@…`
   * became two recipients and `victim\u0000@…` became `victim@…`. So an address that is
   * not one valid address is refused here (the outbox keeps it, failed), and the valid
   * one goes as an address object, which nodemailer does not parse again.
   */
  async send(m: MailMessage): Promise<void> {
    if (!isEmailAddress(m.to))
      throw new Error('Refusing to send: the recipient is not exactly one valid address');
    await this.transporter.sendMail({
      from: m.from,
      to: { name: '', address: m.to },
      subject: m.subject,
      text: m.text,
      html: m.html,
    });
  }

  async close(): Promise<void> {
    this.transporter.close();
  }
}
