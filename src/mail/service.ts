import type { Clock } from '../shared/clock.js';
import { newId } from '../shared/ids.js';
import type { Sealer } from '../shared/seal.js';
import type { MailTransport, OutboxRepository } from './ports.js';
import { type RenderedMail, renderTemplate, type TemplateName, type TemplateVars } from './templates.js';

export interface MailSettings {
  from: string;
  /** How often the sender looks for due mail. */
  pollMs: number;
}

/** Backoff after the nth failure: 5 s, 10 s, 20 s, ... up to an hour; a message is never given up. */
export function retryDelayMs(attempts: number): number {
  return Math.min(5000 * 2 ** Math.max(0, attempts - 1), 3600_000);
}

/**
 * Mail goes through an outbox in the database: enqueueing is part of the request,
 * sending happens afterwards in the background. A failed send is retried with backoff
 * and survives restarts; the message body (which holds one-time links) is sealed at
 * rest and erased once sent.
 */
export class MailService {
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<number> | null = null;
  onError: (err: unknown, context: string) => void = () => {};

  constructor(
    private readonly outbox: OutboxRepository,
    private readonly transport: MailTransport,
    private readonly sealer: Sealer,
    private readonly clock: Clock,
    private readonly settings: MailSettings,
  ) {}

  get transportName(): string {
    return this.transport.name;
  }

  async enqueue(appId: string, to: string, template: TemplateName, vars: TemplateVars): Promise<string> {
    const rendered = renderTemplate(template, vars);
    const id = newId();
    const now = this.clock.now();
    await this.outbox.enqueue({
      id,
      appId,
      to,
      template,
      payloadSealed: this.sealer.seal(JSON.stringify(rendered)),
      attempts: 0,
      createdAt: now,
    });
    // Send soon, but never inside the request: timing must not depend on the mail server.
    setImmediate(() => void this.flush());
    return id;
  }

  start(): void {
    if (this.timer) return;
    this.timer = setInterval(() => void this.flush(), this.settings.pollMs);
    this.timer.unref();
  }

  /** Sends what is due now; returns how many were sent. Concurrent calls share one pass. */
  flush(): Promise<number> {
    this.running ??= this.sendDue().finally(() => {
      this.running = null;
    });
    return this.running;
  }

  private async sendDue(): Promise<number> {
    let sent = 0;
    try {
      const now = this.clock.now();
      const due = await this.outbox.claimDue(now, 60_000, 20);
      for (const message of due) {
        try {
          const payload = JSON.parse(this.sealer.open(message.payloadSealed)) as RenderedMail;
          await this.transport.send({ to: message.to, from: this.settings.from, ...payload });
          await this.outbox.markSent(message.id, this.clock.now());
          sent++;
        } catch (err) {
          const attempts = message.attempts + 1;
          await this.outbox.markFailed(
            message.id,
            String((err as Error)?.message ?? err).slice(0, 500),
            this.clock.now() + retryDelayMs(attempts),
          );
          this.onError(err, `sending mail ${message.id} (attempt ${attempts})`);
        }
      }
    } catch (err) {
      this.onError(err, 'reading the mail outbox');
    }
    return sent;
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.running;
    await this.transport.close();
  }
}
