import type { Clock } from '../shared/clock.js';
import { newId } from '../shared/ids.js';
import type { RequestContext } from '../shared/request-context.js';
import type { AuditRepository } from './ports.js';
import type { AuditEventType, AuditQuery } from './types.js';

/**
 * The security event log. Recording never fails the request that caused it: an
 * unwritable event is reported to the error log instead. Old events are purged
 * after the retention period.
 *
 * Callers record without waiting (the answer must not wait for the log), so the log
 * keeps its writes in flight: a listing waits for those started before it (an admin
 * sees what this node just did), and shutdown waits for all of them (none is lost
 * to a closed store).
 */
export class AuditLog {
  private timer: NodeJS.Timeout | null = null;
  private readonly inFlight = new Set<Promise<void>>();
  onError: (err: unknown) => void = () => {};

  constructor(
    private readonly repo: AuditRepository,
    private readonly clock: Clock,
    private readonly retentionMs: number,
  ) {}

  /** `context` says who asked; without one (CLI, background jobs) its fields are null. */
  record(
    type: AuditEventType,
    fields: { appId?: string | null; userId?: string | null; details?: Record<string, unknown> } = {},
    context: RequestContext | undefined,
  ): Promise<void> {
    const write = this.write(type, fields, context).finally(() => this.inFlight.delete(write));
    this.inFlight.add(write);
    return write;
  }

  private async write(
    type: AuditEventType,
    fields: { appId?: string | null; userId?: string | null; details?: Record<string, unknown> },
    context: RequestContext | undefined,
  ): Promise<void> {
    try {
      await this.repo.insert({
        id: newId(),
        appId: fields.appId ?? null,
        userId: fields.userId ?? null,
        type,
        ip: context?.ip ?? null,
        userAgent: context?.userAgent ?? null,
        requestId: context?.requestId ?? null,
        dialect: context?.dialect ?? null,
        details: fields.details ?? {},
        at: this.clock.now(),
      });
    } catch (err) {
      this.onError(err);
    }
  }

  async list(query: AuditQuery) {
    await Promise.all([...this.inFlight]);
    return this.repo.list(query);
  }

  /** Resolves when every write started so far is done (shutdown, tests). */
  async settled(): Promise<void> {
    while (this.inFlight.size > 0) await Promise.all([...this.inFlight]);
  }

  purge(): Promise<number> {
    return this.repo.deleteBefore(this.clock.now() - this.retentionMs);
  }

  start(): void {
    if (this.timer) return;
    this.timer = setInterval(() => void this.purge().catch(this.onError), 3600_000);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }
}
