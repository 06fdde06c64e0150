import type { Clock } from '../shared/clock.js';
import { newId } from '../shared/ids.js';
import type { RequestContext } from '../shared/request-context.js';
import type { AuditRepository } from './ports.js';
import type { AuditEventType, AuditQuery } from './types.js';

/**
 * The security event log. Recording never fails the request that caused it: an
 * unwritable event is reported to the error log instead. Old events are purged
 * after the retention period.
 */
export class AuditLog {
  private timer: NodeJS.Timeout | null = null;
  onError: (err: unknown) => void = () => {};

  constructor(
    private readonly repo: AuditRepository,
    private readonly clock: Clock,
    private readonly retentionMs: number,
  ) {}

  /** `context` says who asked; without one (CLI, background jobs) its fields are null. */
  async record(
    type: AuditEventType,
    fields: { appId?: string | null; userId?: string | null; details?: Record<string, unknown> } = {},
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

  list(query: AuditQuery) {
    return this.repo.list(query);
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
