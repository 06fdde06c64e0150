import type { Redis } from 'ioredis';

interface OutageLogger {
  error(details: object, message: string): void;
  warn(details: object, message: string): void;
  info(details: object, message: string): void;
}

/**
 * What operators read about Redis: one line when it becomes unreachable and one when every
 * connection is back, instead of a stack trace for each reconnection attempt and each
 * command that fell back meanwhile (a dozen in a few seconds).
 */
export class RedisOutageLog {
  private readonly connections = new Map<string, Redis>();
  private outageSince: number | null = null;

  constructor(
    private readonly log: OutageLogger,
    private readonly now: () => number = Date.now,
  ) {}

  /** Follows a connection: its errors (every failed reconnection included) and its return. */
  watch(name: string, redis: Redis): void {
    this.connections.set(name, redis);
    redis.on('error', (err: unknown) => this.unreachable(name, err));
    redis.on('ready', () => this.maybeBack());
  }

  /**
   * A command that failed and fell back (shared counters, a revocation broadcast). During an
   * outage it says nothing new; on a connection that is up, it is a line of its own.
   */
  commandFailed(what: string, err: unknown): void {
    if (this.outageSince !== null) return;
    if ([...this.connections.values()].every((c) => c.status === 'ready')) {
      this.log.warn({ reason: reason(err) }, `redis: ${what} failed`);
      return;
    }
    this.unreachable(what, err);
  }

  private unreachable(where: string, err: unknown): void {
    if (this.outageSince !== null) return;
    this.outageSince = this.now();
    this.log.error(
      { reason: reason(err), connection: where },
      'redis: unreachable; attempt limits hold per node and revocations travel through the database until it returns',
    );
  }

  private maybeBack(): void {
    if (this.outageSince === null) return;
    if (![...this.connections.values()].every((c) => c.status === 'ready')) return;
    const downForMs = this.now() - this.outageSince;
    this.outageSince = null;
    this.log.info({ downForMs }, 'redis: reachable again');
  }
}

/** The driver's message, without its stack: the stack of a refused connection says nothing. */
function reason(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
