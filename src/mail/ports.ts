export interface OutboxMessage {
  id: string;
  appId: string;
  to: string;
  template: string;
  payloadSealed: string;
  attempts: number;
}

export interface OutboxRepository {
  enqueue(message: OutboxMessage & { createdAt: number }): Promise<void>;
  /**
   * Claims up to `limit` due messages for `lockMs` (compare-and-swap on each row), so
   * two senders never send the same message at once.
   */
  claimDue(now: number, lockMs: number, limit: number): Promise<OutboxMessage[]>;
  markSent(id: string, now: number): Promise<void>;
  /** Keeps the message for another try at `nextAttemptAt`; nothing is ever dropped. */
  markFailed(id: string, error: string, nextAttemptAt: number): Promise<void>;
  pendingCount(): Promise<number>;
}

export interface MailMessage {
  to: string;
  from: string;
  subject: string;
  text: string;
  html: string;
}

export interface MailTransport {
  readonly name: string;
  send(message: MailMessage): Promise<void>;
  close(): Promise<void>;
}
