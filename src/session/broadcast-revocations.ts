import type { Bus } from '../shared/bus.js';
import type { RevocationList, RevocationListener } from './revocation.js';

const TOPIC = 'revocations';

/**
 * A revoked set shared by every node: a revocation made here is applied locally at
 * once and published; those published elsewhere are applied here on arrival. If the
 * bus is down, RevocationSync still brings them in from the database within a second.
 */
export class BroadcastRevocationList implements RevocationList {
  constructor(
    private readonly local: RevocationList,
    private readonly bus: Bus,
    onError: (err: unknown) => void,
  ) {
    this.publishError = onError;
    bus.subscribe(TOPIC, (message) => {
      try {
        const event = JSON.parse(message) as { op: 'add' | 'cancel'; sid: string; at?: number };
        if (event.op === 'add' && typeof event.at === 'number') this.local.add(event.sid, event.at);
        if (event.op === 'cancel') this.local.cancel(event.sid);
      } catch (err) {
        onError(err);
      }
    });
  }

  private readonly publishError: (err: unknown) => void;

  add(sessionId: string, revokedAt: number): void {
    this.local.add(sessionId, revokedAt);
    this.bus
      .publish(TOPIC, JSON.stringify({ op: 'add', sid: sessionId, at: revokedAt }))
      .catch(this.publishError);
  }

  cancel(sessionId: string): void {
    this.local.cancel(sessionId);
    this.bus.publish(TOPIC, JSON.stringify({ op: 'cancel', sid: sessionId })).catch(this.publishError);
  }

  isRevoked(sessionId: string, now: number): boolean {
    return this.local.isRevoked(sessionId, now);
  }

  scheduledAfter(now: number): Array<{ id: string; at: number; since: number }> {
    return this.local.scheduledAfter(now);
  }

  revokedAt(sessionId: string): number | undefined {
    return this.local.revokedAt(sessionId);
  }

  size(): number {
    return this.local.size();
  }

  subscribe(listener: RevocationListener): () => void {
    return this.local.subscribe(listener);
  }
}
