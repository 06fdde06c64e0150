/**
 * Messages between Latchkey nodes: revocations, cache invalidations, key rotations.
 * Delivery is best effort (a node that is briefly cut off misses messages), so every
 * user of the bus also has a slower path that is always correct (the database).
 */
export interface Bus {
  publish(topic: string, message: string): Promise<void>;
  subscribe(topic: string, handler: (message: string) => void): void;
  /** True while messages can flow. */
  healthy(): boolean;
  close(): Promise<void>;
}

/** One node alone: nobody else to tell. */
export class LocalBus implements Bus {
  async publish(): Promise<void> {}
  subscribe(): void {}
  healthy(): boolean {
    return true;
  }
  async close(): Promise<void> {}
}
