import { createHash } from 'node:crypto';

/** Escapes text for HTML element content and double-quoted attribute values. */
export function escapeHtml(text: string): string {
  return text
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&#39;');
}

/** The pages' only style sheet, inline and allowed by its hash: no external request, no 'unsafe-inline'. */
export const PAGE_STYLE = [
  'body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:0;background:#f4f5f7;color:#1b1d21}',
  'main{max-width:26rem;margin:4rem auto;padding:2rem;background:#fff;border-radius:.5rem;box-shadow:0 1px 3px rgba(0,0,0,.15)}',
  'h1{font-size:1.4rem;margin-top:0}',
  'label{display:block;font-weight:600;margin:1rem 0 .35rem}',
  'input,textarea{box-sizing:border-box;width:100%;font-size:1.15rem;padding:.55rem;border:1px solid #6b7280;border-radius:.3rem}',
  'textarea{font-family:ui-monospace,monospace;font-size:.85rem}',
  'input:focus,textarea:focus,button:focus{outline:3px solid #2563eb;outline-offset:2px}',
  'button{margin-top:1rem;font-size:1.05rem;padding:.6rem 1.2rem;border:0;border-radius:.3rem;background:#1d4ed8;color:#fff;cursor:pointer}',
  '.error{color:#a4161a;font-weight:600}',
  '.hint{color:#374151}',
].join('');

export const PAGE_STYLE_HASH = `'sha256-${createHash('sha256').update(PAGE_STYLE).digest('base64')}'`;

/** A whole page: language, viewport, title, the one style sheet, and a main landmark. */
export function page(title: string, body: string): string {
  return [
    '<!doctype html>',
    '<html lang="en">',
    '<head>',
    '<meta charset="utf-8">',
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    '<meta name="robots" content="noindex">',
    `<title>${escapeHtml(title)}</title>`,
    `<style>${PAGE_STYLE}</style>`,
    '</head>',
    '<body>',
    `<main>${body}</main>`,
    '</body>',
    '</html>',
  ].join('\n');
}

/**
 * A strict policy: nothing loads but the inline style (by hash); no script at all; the
 * form may post only to this origin and hand over to `formTargets` (the allowed return
 * origin, reached by the redirect after the post: CSP form-action covers redirects);
 * the page cannot be framed.
 */
export function pageCsp(formTargets: string[] = []): string {
  return [
    "default-src 'none'",
    `style-src ${PAGE_STYLE_HASH}`,
    `form-action 'self'${formTargets.map((t) => ` ${t}`).join('')}`,
    "frame-ancestors 'none'",
    "base-uri 'none'",
  ].join('; ');
}
