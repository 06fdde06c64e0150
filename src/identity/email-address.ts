import { domainToASCII, domainToUnicode } from 'node:url';

/**
 * The one rule for email addresses, used by every dialect, the CLI and the admin API.
 *
 * An address is accepted only when a mailer can read it as exactly one mailbox, the one
 * a person typed: no character that a mail library drops, rewrites or reads as a list
 * separator, a comment, a quoted string, a group or a header break. The key that decides
 * whether two addresses are the same is computed by `emailKey`.
 */

const encoder = new TextEncoder();
const octets = (s: string) => encoder.encode(s).length;

/** RFC 5321 §4.5.3.1: local part ≤ 64 octets, a forward path's mailbox ≤ 254 octets. */
const MAX_LOCAL_OCTETS = 64;
const MAX_ADDRESS_OCTETS = 254;

/**
 * Refused anywhere in an address, before and after NFKC (a fullwidth comma becomes one):
 * controls (C0, C1, NUL), format characters (zero-width space and joiners, bidi marks),
 * separators and whitespace of every kind, private-use code points, lone surrogates, and what RFC 5322 parsers read as structure: `,` `;` (lists and
 * groups), `<` `>` (route addresses), `"` `\` (quoted strings), `(` `)` (comments),
 * `:` (groups) and `[` `]` (domain literals).
 */
const REFUSED = /[\p{Cc}\p{Cf}\p{Co}\p{Cs}\p{Z}\s,;<>"\\():[\]]/u;

/** One DNS label in ASCII (letters, digits, hyphens; IDNA labels come as xn--). */
const LABEL = /^(?!-)[a-z0-9-]{1,63}(?<!-)$/;

/**
 * Scripts that look alike or are told apart: a local part or a domain label whose letters
 * mix them (a Cyrillic 'а' among Latin letters) is refused, as UTS #39's "highly
 * restrictive" level does. Latin may go with the CJK scripts, as Japanese, Chinese and
 * Korean names do. Letters of scripts not listed count as one more script each time.
 */
const SCRIPTS = [
  'Latin',
  'Greek',
  'Cyrillic',
  'Armenian',
  'Georgian',
  'Cherokee',
  'Hebrew',
  'Arabic',
  'Devanagari',
  'Bengali',
  'Thai',
  'Han',
  'Hiragana',
  'Katakana',
  'Hangul',
  'Bopomofo',
].map((name) => ({ name, re: new RegExp(`^\\p{Script=${name}}$`, 'u') }));
const LETTER = /^\p{L}$/u;
const ALLOWED_MIXES = [
  new Set(['Latin', 'Han', 'Hiragana', 'Katakana']),
  new Set(['Latin', 'Han', 'Hangul']),
  new Set(['Latin', 'Han', 'Bopomofo']),
];

function scriptsOf(text: string): Set<string> {
  const found = new Set<string>();
  for (const ch of text) {
    if (!LETTER.test(ch)) continue;
    found.add(SCRIPTS.find((s) => s.re.test(ch))?.name ?? `other:${ch}`);
  }
  return found;
}

function isSingleScript(text: string): boolean {
  const scripts = scriptsOf(text);
  if (scripts.size <= 1) return true;
  return ALLOWED_MIXES.some((mix) => [...scripts].every((s) => mix.has(s)));
}

/**
 * Full case folding (Unicode CaseFolding.txt, status C+F) as far as JavaScript offers it:
 * upper-casing applies the full mappings (ß → SS, ŉ → ʼN, ﬃ → FFI), lower-casing then
 * brings them back down, and the first lower-casing takes ẞ (U+1E9E) to ß so that it
 * goes the same way. The Kelvin sign (U+212A) and the Ohm sign are already letters after
 * NFKC. NFKC once more because case mapping can leave a string unnormalised.
 */
export function caseFold(text: string): string {
  return text.normalize('NFKC').toLowerCase().toUpperCase().toLowerCase().normalize('NFKC');
}

/** The domain's ASCII (IDNA, UTS #46) form, or '' when it is not a valid host name. */
function asciiDomain(domain: string): string {
  const ascii = domainToASCII(caseFold(domain));
  if (ascii === '' || octets(ascii) > 253) return '';
  const labels = ascii.split('.');
  if (labels.length < 2 || !labels.every((l) => LABEL.test(l))) return '';
  // An all-digit last label is an IP address, not a mail domain.
  if (/^[0-9]+$/.test(labels[labels.length - 1]!)) return '';
  return ascii;
}

/** Whether `value` is one address Latchkey accepts (see the module's comment). */
export function isEmailAddress(value: string): boolean {
  if (typeof value !== 'string') return false;
  const normalized = value.normalize('NFKC');
  if (REFUSED.test(value) || REFUSED.test(normalized)) return false;
  if (octets(value) > MAX_ADDRESS_OCTETS) return false;
  // Exactly one '@', before and after NFKC (a fullwidth '＠' becomes one).
  const at = value.indexOf('@');
  if (at <= 0 || at !== value.lastIndexOf('@')) return false;
  if (normalized.indexOf('@') !== normalized.lastIndexOf('@')) return false;
  const local = value.slice(0, at);
  const domain = value.slice(at + 1);
  if (octets(local) > MAX_LOCAL_OCTETS) return false;
  if (!isSingleScript(local.normalize('NFKC'))) return false;
  const ascii = asciiDomain(domain);
  if (ascii === '') return false;
  return ascii.split('.').every((label) => isSingleScript(domainToUnicode(label)));
}

/**
 * The key two addresses share when they are the same person's: the local part in NFKC
 * and fully case-folded (so `VICTIM`, `ｖｉｃｔｉｍ` and `vi\u212Atim` (Kelvin sign) meet
 * their plain forms, and `ß` meets `ss`), the domain folded the same way and then in its
 * IDNA ASCII form (`Bücher.de` → `xn--bcher-kva.de`). Total: it never throws, so stored
 * rows of any age get a key.
 */
export function emailKey(address: string): string {
  const at = address.lastIndexOf('@');
  if (at < 0) return caseFold(address);
  const domain = address.slice(at + 1);
  return `${caseFold(address.slice(0, at))}@${asciiDomain(domain) || caseFold(domain)}`;
}
