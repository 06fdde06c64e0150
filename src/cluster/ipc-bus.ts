import type { Bus } from '../shared/bus.js';
import { isLatchkeyMessage, type PrimaryMessage, type WorkerMessage } from './messages.js';

/**
 * The bus of a worker process without Redis: published messages go to the primary,
 * which relays them at once to every other worker (cluster/primary.ts), as Redis
 * pub/sub does between nodes. The database remains every subscriber's slower path.
 */
export class IpcBus implements Bus {
  private readonly handlers = new Map<string, Array<(message: string) => void>>();
  private readonly onMessage = (raw: unknown) => {
    if (!isLatchkeyMessage(raw) || raw.latchkey !== 'bus') return;
    const { topic, message } = raw as Extract<PrimaryMessage, { latchkey: 'bus' }>;
    for (const handler of this.handlers.get(topic) ?? []) handler(message);
  };

  constructor(private readonly channel: NodeJS.Process = process) {
    channel.on('message', this.onMessage);
  }

  async publish(topic: string, message: string): Promise<void> {
    if (!this.channel.connected || !this.channel.send) return;
    const sent: WorkerMessage = { latchkey: 'bus', topic, message };
    this.channel.send(sent);
  }

  subscribe(topic: string, handler: (message: string) => void): void {
    const list = this.handlers.get(topic);
    if (list) list.push(handler);
    else this.handlers.set(topic, [handler]);
  }

  healthy(): boolean {
    return this.channel.connected === true;
  }

  async close(): Promise<void> {
    this.channel.off('message', this.onMessage);
  }
}
