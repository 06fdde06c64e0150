/**
 * Who is asking, for the audit log and metrics. The HTTP layer builds it on the write
 * paths that need it (contextOf) and passes it explicitly to the core methods that emit
 * events, which hand it on to their event callbacks. Outside a request (CLI, background
 * jobs, scheduled revocations) there is none, and the events carry nulls.
 *
 * It is passed, not kept in an AsyncLocalStorage: on Node 20 an active one installs
 * promise hooks for every promise of the process, which cost about a third of the
 * throughput of the token check.
 */
export interface RequestContext {
  requestId: string;
  ip: string | null;
  userAgent: string | null;
  /** rpc, apps, spa, feathers, admin, pages, or ops. */
  dialect: string;
}
