import nodemailer, { type Transporter } from 'nodemailer';
import type { MailMessage, MailTransport } from './ports.js';

/**
 * Development transport: prints each message, links included, to standard output
 * as a plain-text block. Never for production: it puts one-time links in the output.
 */
export class LogTransport implements MailTransport {
  readonly name = 'log';
  constructor(private readonly write: (text: string) => void = (t) => process.stdout.write(t)) {}

  async send(m: MailMessage): Promise<void> {
    this.write(
      `--- mail (log transport) ---\nFrom: ${m.from}\nTo: ${m.to}\nSubject: ${m.subject}\n\n${m.text}\n--- end of mail ---\n`,
    );
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

  async send(m: MailMessage): Promise<void> {
    await this.transporter.sendMail({
      from: m.from,
      to: m.to,
      subject: m.subject,
      text: m.text,
      html: m.html,
    });
  }

  async close(): Promise<void> {
    this.transporter.close();
  }
}
