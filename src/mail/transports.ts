import nodemailer, { type Transporter } from 'nodemailer';
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
