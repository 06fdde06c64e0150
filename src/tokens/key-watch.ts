import type { Bus } from '../shared/bus.js';
import type { TokenService } from './jwt.js';
import type { KeyRing } from './keyring.js';

const TOPIC = 'keys';

/**
 * Makes a key rotation done anywhere (another node, the CLI, the admin API) reach this
 * node without a restart: at once through the bus when there is one, and within
 * `pollMs` from the database in any case.
 */
export class KeyWatch {
  private timer: NodeJS.Timeout | null = null;

  constructor(
    private readonly keys: KeyRing,
    private readonly tokens: TokenService,
    private readonly bus: Bus,
    private readonly onError: (err: unknown) => void,
    private readonly pollMs = 10_000,
  ) {
    bus.subscribe(TOPIC, () => void this.reload());
  }

  /** Call after rotating here: tells the other nodes. */
  async announce(): Promise<void> {
    await this.bus.publish(TOPIC, 'rotated').catch(this.onError);
  }

  async reload(): Promise<void> {
    try {
      if (await this.keys.reload()) this.tokens.clearCache();
    } catch (err) {
      this.onError(err);
    }
  }

  start(): void {
    if (this.timer) return;
    this.timer = setInterval(() => void this.reload(), this.pollMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }
}
