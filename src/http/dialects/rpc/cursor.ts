import { fail } from './envelope.js';

/** The reference's cursors: base64 of a JSON object naming the last id of the page. */
export function encodeCursor(id: string): string {
  return Buffer.from(JSON.stringify({ id })).toString('base64');
}

export function decodeCursor(cursor: string): string {
  try {
    const parsed = JSON.parse(Buffer.from(cursor, 'base64').toString('utf8')) as { id?: unknown };
    if (typeof parsed.id === 'string' && /^[0-9a-f]{24}$/.test(parsed.id)) return parsed.id;
  } catch {
    // fall through
  }
  return fail('invalid_input', 'Invalid cursor');
}

/** `afterId` for a query, from an optional cursor. */
export function after(cursor: string | undefined): { afterId?: string } {
  return cursor ? { afterId: decodeCursor(cursor) } : {};
}

/** `nextCursor` for an answer, when there is a next page. */
export function next(hasMore: boolean, page: Array<{ id: string }>): { nextCursor?: string } {
  const last = page.at(-1);
  return hasMore && last ? { nextCursor: encodeCursor(last.id) } : {};
}
