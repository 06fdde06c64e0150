import type { FastifyReply, FastifyRequest } from 'fastify';

/** The origins whose pages may send a dialect's cookie: publicUrl's own, and any the dialect lists. */
export interface TrustedOrigins {
  ownOrigin: string;
  allowedOrigins: ReadonlySet<string>;
}

export type CrossSiteVerdict =
  /** `corsOrigin`: the allowed foreign origin to answer with CORS headers, or null (same origin, no browser). */
  { allowed: true; corsOrigin: string | null } | { allowed: false };

function header(request: FastifyRequest, name: string): string | undefined {
  const value = request.headers[name];
  return typeof value === 'string' ? value : undefined;
}

/**
 * CSRF defence of the cookie-authenticated POSTs (spa /refresh and /logout, every rpc
 * request that carries the session cookie) and of the sign-ins that set the cookie
 * (security checklist C1, C2, C6). SameSite=Lax already keeps the cookie off cross-site
 * POSTs; this also refuses login CSRF and sibling subdomains, and does not depend on the
 * cookie's settings (SameSite=None or a shared Domain undo Lax):
 *
 * - An `Origin` must be publicUrl's or a listed one ('null' never is), unless Fetch
 *   Metadata says the request is same-origin (publicUrl misconfigured behind a proxy;
 *   `Sec-Fetch-Site` cannot be set by a page).
 * - Without `Origin`, a browser's `Sec-Fetch-Site` must say same-origin or none:
 *   browsers send `Origin` on every cross-origin POST, so its absence there is suspect.
 * - Neither header: not a browser (curl, a server), so no ambient cookie to abuse.
 */
export function crossSiteVerdict(trusted: TrustedOrigins, request: FastifyRequest): CrossSiteVerdict {
  const origin = header(request, 'origin');
  const site = header(request, 'sec-fetch-site');
  if (origin !== undefined) {
    if (origin === trusted.ownOrigin) return { allowed: true, corsOrigin: null };
    if (origin !== 'null' && trusted.allowedOrigins.has(origin)) return { allowed: true, corsOrigin: origin };
    return site === 'same-origin' ? { allowed: true, corsOrigin: null } : { allowed: false };
  }
  if (site === undefined || site === 'same-origin' || site === 'none')
    return { allowed: true, corsOrigin: null };
  return { allowed: false };
}

/**
 * JSON only (checklist C4): a form or text/plain body is what a cross-site page can
 * send without a preflight. A POST without any body and without a content type is
 * allowed (`fetch('/refresh', {method: 'POST'})`); the origin checks still apply.
 */
export function isJsonOrEmpty(request: FastifyRequest): boolean {
  const type = header(request, 'content-type');
  if (type === undefined) {
    const length = header(request, 'content-length');
    return (length === undefined || length === '0') && header(request, 'transfer-encoding') === undefined;
  }
  return type.split(';')[0]!.trim().toLowerCase() === 'application/json';
}

/** Credentialed CORS for one allowed origin; never `*`, never a reflected unknown origin. */
export function corsHeaders(reply: FastifyReply, origin: string): void {
  reply.header('access-control-allow-origin', origin);
  reply.header('access-control-allow-credentials', 'true');
}

/** Caches must key these answers on the headers the checks read. */
export function varyOnOrigin(reply: FastifyReply, extra: string[] = []): void {
  const current = reply.getHeader('vary');
  const names = new Set(
    (typeof current === 'string' ? current.split(',') : [])
      .map((s) => s.trim())
      .filter(Boolean)
      .concat(['Origin', 'Sec-Fetch-Site', ...extra]),
  );
  reply.header('vary', [...names].join(', '));
}
