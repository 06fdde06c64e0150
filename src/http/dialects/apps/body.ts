import type { FastifyRequest } from 'fastify';
import type { SecondFactor } from '../../../mfa/index.js';
import { LatchkeyError } from '../../../shared/errors.js';
import { badRequest } from './errors.js';

/**
 * Bodies reach the apps routes as raw text (see index.ts): each route reads them the
 * way the reference does, with the reference's messages, instead of a generic validator.
 */
export function rawBody(request: FastifyRequest): string {
  return typeof request.body === 'string' ? request.body : '';
}

type Parsed = { ok: true; value: unknown } | { ok: false };

function parseJson(text: string): Parsed {
  try {
    // `__proto__` keys are dropped, never assigned: no prototype pollution through a body.
    return { ok: true, value: JSON.parse(text, (key, value) => (key === '__proto__' ? undefined : value)) };
  } catch {
    return { ok: false };
  }
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function own(obj: Record<string, unknown>, key: string): unknown {
  return Object.hasOwn(obj, key) ? obj[key] : undefined;
}

/**
 * `secondaryAuthFactor: {type, token}` (Latchkey's extension, the field the rpc and
 * feathers dialects use): absent or null is no factor; otherwise both fields must be
 * non-empty strings. Which types count is the core's to say, not the wire's.
 */
function secondFactorField(args: Record<string, unknown>): SecondFactor | undefined {
  const value = own(args, 'secondaryAuthFactor');
  if (value === undefined || value === null) return undefined;
  if (!isObject(value))
    throw badRequest('field "secondaryAuthFactor" must be an object: field type mismatch');
  const out: Record<string, string> = {};
  for (const field of ['type', 'token']) {
    const name = `secondaryAuthFactor.${field}`;
    const part = own(value, field);
    if (part !== undefined && part !== null && typeof part !== 'string') {
      throw badRequest(`field "${name}" must be a string: field type mismatch`);
    }
    if (typeof part !== 'string' || part === '') throw badRequest(`field "${name}" is empty`);
    out[field] = part;
  }
  return { type: out['type']!, token: out['token']! };
}

/**
 * The login body as the reference's query processor reads it: an empty or `null`
 * body means no arguments; anything else that is not a JSON object is
 * `invalid 'args' parameter`; a field of another type than string is refused; a
 * missing, null or empty `login` or `password` is refused naming the field(s).
 * Keys are case-sensitive and unknown keys are ignored. Then the optional second
 * factor, for logins with MFA.
 */
export function loginArgs(raw: string): { login: string; password: string; secondFactor?: SecondFactor } {
  const text = raw.trim();
  let args: Record<string, unknown> = {};
  if (text !== '') {
    const parsed = parseJson(text);
    if (!parsed.ok || (parsed.value !== null && !isObject(parsed.value))) {
      throw badRequest("invalid 'args' parameter");
    }
    if (parsed.value !== null) args = parsed.value as Record<string, unknown>;
  }
  const values: Record<string, string> = {};
  for (const field of ['login', 'password']) {
    const value = own(args, field);
    if (value !== undefined && value !== null && typeof value !== 'string') {
      throw badRequest(`field "${field}" must be a string: field type mismatch`);
    }
    values[field] = (value as string | null | undefined) ?? '';
  }
  const empty = ['login', 'password'].filter((f) => values[f] === '');
  if (empty.length > 0) throw badRequest(empty.map((f) => `field "${f}" is empty`).join('; '));
  const secondFactor = secondFactorField(args);
  return {
    login: values['login']!,
    password: values['password']!,
    ...(secondFactor ? { secondFactor } : {}),
  };
}

/**
 * The body of a change that needs a current factor: an empty or `null` body, or one
 * without `secondaryAuthFactor`, carries none (the core then says which would do).
 */
export function factorArgs(raw: string): { secondFactor?: SecondFactor } {
  const text = raw.trim();
  if (text === '') return {};
  const parsed = parseJson(text);
  if (!parsed.ok) throw badRequest('failed to unmarshal body: invalid JSON');
  if (parsed.value === null) return {};
  if (!isObject(parsed.value)) throw badRequest('failed to unmarshal body: the body is not a JSON object');
  const secondFactor = secondFactorField(parsed.value);
  return secondFactor ? { secondFactor } : {};
}

/**
 * A body of required, non-empty string fields, checked in the given order with the
 * reference's router messages (`failed to unmarshal body: …`, `<field> field missing`,
 * `field "<field>" must be a string: field type mismatch`).
 */
export function stringFields<const K extends string>(raw: string, fields: readonly K[]): Record<K, string> {
  const text = raw.trim();
  if (text === '') throw badRequest('failed to unmarshal body: unexpected end of JSON input');
  const parsed = parseJson(text);
  if (!parsed.ok) throw badRequest('failed to unmarshal body: invalid JSON');
  if (!isObject(parsed.value)) throw badRequest('failed to unmarshal body: the body is not a JSON object');
  const out = {} as Record<K, string>;
  for (const field of fields) {
    if (!Object.hasOwn(parsed.value, field)) throw badRequest(`${field} field missing`);
    const value = parsed.value[field];
    if (typeof value !== 'string') throw badRequest(`field "${field}" must be a string: field type mismatch`);
    if (value === '') throw badRequest(`${field} field is empty`);
    out[field] = value;
  }
  return out;
}

/**
 * The token of an Authorization header, in the forms the reference accepts: `Bearer
 * <jwt>`, or `Basic base64(a:b)` whose token is the decoded text without its `:`.
 */
export function authorizationToken(request: FastifyRequest): string {
  const header = request.headers.authorization;
  if (typeof header !== 'string' || header.trim() === '') {
    throw new LatchkeyError('unauthenticated', 'authorization header is empty');
  }
  const match = /^(\S+)\s+(\S+)\s*$/.exec(header.trim());
  const scheme = match?.[1]?.toLowerCase();
  if (match && scheme === 'bearer') return match[2]!;
  if (match && scheme === 'basic') {
    const decoded = Buffer.from(match[2]!, 'base64').toString('utf8');
    return decoded.replaceAll(':', '');
  }
  throw new LatchkeyError('unauthenticated', 'unsupported Authorization header');
}
