import assert from 'node:assert/strict';
import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import type { Operation } from '../helpers/route-table.js';

/** Shared pieces of the HTTP hygiene suite (not a test file itself). */

/** Answers that may be cached, and why: nothing in them is a secret or personal. */
export const CACHEABLE: Record<string, string> = {
  '/.well-known/jwks.json': 'the public signing keys (a short public max-age; rotation overlaps far longer)',
};

/** Routes besides the documented ones: the docs page, the document itself, an unknown path. */
export const UNDOCUMENTED_PATHS = ['/docs', '/docs/', '/openapi.json', '/no-such-route'];

export const METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'] as const;

export interface Probe {
  where: string;
  path: string;
  method: string;
  res: LightMyRequestResponse;
}

let client = 0;

/**
 * Sends every verb to every path of the table (and the undocumented ones), without
 * credentials, with JSON `{}` where a body may go: the error answers of every route.
 * Each request comes from its own address so per-address throttling does not turn
 * the sweep into a wall of 429s.
 */
export async function sweep(
  app: FastifyInstance,
  table: Operation[],
  headers: Record<string, string> = {},
  methods: readonly string[] = METHODS,
): Promise<Probe[]> {
  const paths = [...new Set([...table.map((o) => o.path), ...UNDOCUMENTED_PATHS])];
  const probes: Probe[] = [];
  for (const path of paths) {
    for (const method of methods) {
      client++;
      const withBody = method === 'POST' || method === 'PUT' || method === 'PATCH';
      const res = await app.inject({
        method: method as 'GET',
        url: path,
        remoteAddress: `10.77.${(client >> 8) & 255}.${client & 255}`,
        headers: withBody ? { 'content-type': 'application/json', ...headers } : headers,
        ...(withBody ? { payload: '{}' } : {}),
      });
      probes.push({ where: `${method} ${path} → ${res.statusCode}`, path, method, res });
    }
  }
  return probes;
}

/** `Cache-Control: no-store` unless the path is listed as cacheable. */
export function assertNoStore(where: string, path: string, res: LightMyRequestResponse): void {
  if (path in CACHEABLE) return;
  assert.equal(res.headers['cache-control'], 'no-store', `${where}: Cache-Control`);
}

/** The headers every answer carries, and what an HTML page needs on top. */
export function assertSecurityHeaders(where: string, res: LightMyRequestResponse): void {
  assert.equal(res.headers['x-content-type-options'], 'nosniff', `${where}: nosniff`);
  if (!isHtml(res)) return;
  const csp = String(res.headers['content-security-policy'] ?? '');
  assert.match(csp, /(^|;\s*)default-src 'none'/, `${where}: a CSP that loads nothing by default: ${csp}`);
  assert.match(csp, /frame-ancestors 'none'/, `${where}: CSP forbids framing`);
  assert.match(csp, /base-uri 'none'/, `${where}: CSP pins <base>`);
  assert.doesNotMatch(csp, /script-src[^;]*'unsafe-(inline|eval)'/, `${where}: no inline script`);
  assert.equal(res.headers['x-frame-options'], 'DENY', `${where}: X-Frame-Options`);
  assert.match(
    String(res.headers['referrer-policy'] ?? ''),
    /^(no-referrer|same-origin|strict-origin)$/,
    `${where}: a Referrer-Policy that keeps the URL's secrets on this origin`,
  );
}

export function isHtml(res: LightMyRequestResponse): boolean {
  return /^text\/html/.test(String(res.headers['content-type'] ?? ''));
}

/** What a cookie of the configured kind must say. */
export interface CookieRule {
  path: string;
  secure: boolean;
  sameSite: 'Strict' | 'Lax' | 'None';
  domain: string | null;
}

export interface ParsedCookie {
  name: string;
  value: string;
  attributes: Map<string, string>;
}

export function setCookies(res: LightMyRequestResponse): ParsedCookie[] {
  const header = res.headers['set-cookie'];
  const lines = header === undefined ? [] : Array.isArray(header) ? header : [String(header)];
  return lines.map((line) => {
    const [pair, ...attrs] = line.split(';').map((s) => s.trim());
    const eq = pair!.indexOf('=');
    return {
      name: pair!.slice(0, eq),
      value: pair!.slice(eq + 1),
      attributes: new Map(
        attrs.map((a) => {
          const i = a.indexOf('=');
          return i < 0 ? [a.toLowerCase(), ''] : [a.slice(0, i).toLowerCase(), a.slice(i + 1)];
        }),
      ),
    };
  });
}

/**
 * A Set-Cookie as SECURITY.md, docs/rpc.md and docs/spa.md document it: a known name;
 * HttpOnly; Secure exactly when configured; the configured SameSite, Path and Domain;
 * an expiry (Max-Age or Expires) in the future, or, when cleared, an empty value with
 * Max-Age=0 and the epoch, so the browser really drops it; at most 4096 bytes (S2).
 */
export function assertCookie(
  where: string,
  cookie: ParsedCookie,
  rules: Record<string, CookieRule>,
  nowMs: number,
): 'set' | 'cleared' {
  const rule = rules[cookie.name];
  assert.ok(rule, `${where}: an undocumented cookie '${cookie.name}'`);
  const a = cookie.attributes;
  assert.ok(a.has('httponly'), `${where}: ${cookie.name} is HttpOnly`);
  assert.equal(a.has('secure'), rule.secure, `${where}: ${cookie.name} Secure as configured`);
  assert.equal(a.get('samesite'), rule.sameSite, `${where}: ${cookie.name} SameSite`);
  assert.equal(a.get('path'), rule.path, `${where}: ${cookie.name} Path`);
  assert.equal(a.get('domain') ?? null, rule.domain, `${where}: ${cookie.name} Domain`);
  assert.ok(cookie.name.length + cookie.value.length <= 4096, `${where}: ${cookie.name} fits in 4096 bytes`);
  const maxAge = a.has('max-age') ? Number(a.get('max-age')) : null;
  const expires = a.has('expires') ? Date.parse(a.get('expires')!) : null;
  assert.ok(maxAge !== null || expires !== null, `${where}: ${cookie.name} has an expiry`);
  if (cookie.value === '') {
    assert.equal(maxAge, 0, `${where}: a cleared ${cookie.name} has Max-Age=0`);
    assert.equal(expires, 0, `${where}: a cleared ${cookie.name} expires at the epoch`);
    return 'cleared';
  }
  if (maxAge !== null) assert.ok(maxAge > 0, `${where}: ${cookie.name} Max-Age ${maxAge}`);
  if (expires !== null) assert.ok(expires > nowMs, `${where}: ${cookie.name} expires in the future`);
  return 'set';
}
