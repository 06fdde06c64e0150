import { AsyncLocalStorage } from 'node:async_hooks';

/**
 * Who is asking, for the audit log and metrics, without threading it through every
 * core call: the HTTP layer opens a context per request and the core reads it.
 * Outside a request (CLI, background jobs) there is none.
 */
export interface RequestContext {
  requestId: string;
  ip: string | null;
  userAgent: string | null;
  /** rpc, apps, spa, feathers, admin, pages, or ops. */
  dialect: string;
}

const storage = new AsyncLocalStorage<RequestContext>();

export function runWithContext<T>(context: RequestContext, fn: () => T): T {
  return storage.run(context, fn);
}

/** Enters a context for the rest of the current asynchronous execution (Fastify hooks). */
export function enterContext(context: RequestContext): void {
  storage.enterWith(context);
}

export function currentContext(): RequestContext | undefined {
  return storage.getStore();
}
