import type { Redis } from 'ioredis';
import type { Bus } from '../../shared/bus.js';
import { connectRedis } from './connection.js';

/** Redis pub/sub under a key prefix; ioredis re-subscribes by itself after a reconnect. */
export class RedisBus implements Bus {
  private readonly pub: Redis;
  private readonly sub: Redis;
  private readonly handlers = new Map<string, Array<(message: string) => void>>();

  constructor(
    url: string,
    private readonly prefix: string,
    onError: (err: unknown) => void,
  ) {
    this.pub = connectRedis(url, onError);
    // The subscriber queues its SUBSCRIBE until connected (it never serves requests);
    // without the queue a subscription made at start-up would be dropped.
    this.sub = connectRedis(url, onError, { queueWhileOffline: true });
    this.sub.on('message', (channel: string, message: string) => {
      for (const handler of this.handlers.get(channel) ?? []) handler(message);
    });
  }

  async publish(topic: string, message: string): Promise<void> {
    // A freshly started process (the CLI announcing a key rotation) may publish before its
    // connection is up; wait for it briefly rather than dropping the message.
    if (this.pub.status !== 'ready') await this.ready(2000);
    await this.pub.publish(this.prefix + topic, message);
  }

  private ready(timeoutMs: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(done, timeoutMs);
      function done() {
        clearTimeout(timer);
        resolve();
      }
      this.pub.once('ready', done);
    });
  }

  subscribe(topic: string, handler: (message: string) => void): void {
    const channel = this.prefix + topic;
    const list = this.handlers.get(channel);
    if (list) list.push(handler);
    else {
      this.handlers.set(channel, [handler]);
      void this.sub.subscribe(channel).catch(() => {});
    }
  }

  /** The two connections, by name, for whoever reports on Redis's health. */
  connections(): Array<[string, Redis]> {
    return [
      ['publisher', this.pub],
      ['subscriber', this.sub],
    ];
  }

  healthy(): boolean {
    return this.pub.status === 'ready' && this.sub.status === 'ready';
  }

  async close(): Promise<void> {
    for (const connection of [this.pub, this.sub]) {
      // Closed mid-handshake (a start-up that failed), ioredis still runs its ready check
      // and emits an error; reported, it would read as a Redis outage. Errors after
      // close are nobody's concern, but a listener stays so none is thrown.
      connection.removeAllListeners('error');
      connection.on('error', () => {});
      connection.disconnect();
    }
  }
}
