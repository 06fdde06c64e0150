import type { FastifySchemaValidationError, SchemaErrorDataVar } from 'fastify/types/schema.js';

/**
 * Schema failures in plain words. The validator (Ajv, behind the TypeBox schemas) words its
 * errors for schema authors: `must NOT have more than 1024 characters`, `body/email must be
 * string`. Clients get `password must be at most 1024 characters long` and `email must be a
 * string` instead; each dialect puts these words into its own error format.
 */
export interface FieldProblem {
  /** Where the value is: `['emails', 0, 'address']`; the missing or unknown key included. */
  path: Array<string | number>;
  /** The path as one name (`emails.0.address`), or `value` for the whole body or query. */
  field: string;
  /** The rule the value broke, without the field's name: `must be a string`. */
  text: string;
}

const TYPE_WORDS: Record<string, string> = {
  string: 'a string',
  number: 'a number',
  integer: 'a whole number',
  boolean: 'true or false',
  object: 'an object',
  array: 'a list',
  null: 'null',
};

const FORMAT_WORDS: Record<string, string> = {
  email: 'an email address',
  uri: 'a URL',
  url: 'a URL',
  'date-time': 'a date and time (ISO 8601)',
  date: 'a date (YYYY-MM-DD)',
  uuid: 'a UUID',
};

const WHERE: Record<string, string> = {
  body: '',
  querystring: ' in the query string',
  params: ' in the path',
  headers: ' in the headers',
};

function characters(n: number): string {
  return `${n} character${n === 1 ? '' : 's'} long`;
}

function ruleText(e: Pick<FastifySchemaValidationError, 'keyword' | 'params'>): string {
  const p = e.params as Record<string, unknown>;
  const limit = Number(p['limit']);
  switch (e.keyword) {
    case 'required':
      return 'is required';
    case 'additionalProperties':
      return 'is not allowed';
    case 'type':
      return `must be ${String(p['type'])
        .split(',')
        .map((t) => TYPE_WORDS[t] ?? t)
        .join(' or ')}`;
    case 'minLength':
      return limit === 1 ? 'must not be empty' : `must be at least ${characters(limit)}`;
    case 'maxLength':
      return `must be at most ${characters(limit)}`;
    case 'minimum':
      return `must be at least ${limit}`;
    case 'maximum':
      return `must be at most ${limit}`;
    case 'exclusiveMinimum':
      return `must be greater than ${limit}`;
    case 'exclusiveMaximum':
      return `must be less than ${limit}`;
    case 'minItems':
      return `must have at least ${limit} item${limit === 1 ? '' : 's'}`;
    case 'maxItems':
      return `must have at most ${limit} item${limit === 1 ? '' : 's'}`;
    case 'minProperties':
      return `must name at least ${limit} field${limit === 1 ? '' : 's'}`;
    case 'enum':
      return `must be one of: ${(p['allowedValues'] as unknown[]).map((v) => String(v)).join(', ')}`;
    case 'const':
      return `must be ${JSON.stringify(p['allowedValue'])}`;
    case 'format':
      return `must be ${FORMAT_WORDS[String(p['format'])] ?? `a valid ${String(p['format'])}`}`;
    case 'pattern':
      return 'is not in the expected format';
    default:
      return 'is invalid';
  }
}

/** One problem per validator error, named by the field it concerns. */
export function fieldProblem(e: FastifySchemaValidationError): FieldProblem {
  const path: Array<string | number> = e.instancePath
    .split('/')
    .slice(1)
    .map((part) => (/^\d+$/.test(part) ? Number(part) : part.replace(/~1/g, '/').replace(/~0/g, '~')));
  const params = e.params as Record<string, unknown>;
  if (e.keyword === 'required') path.push(String(params['missingProperty']));
  if (e.keyword === 'additionalProperties') path.push(String(params['additionalProperty']));
  return { path, field: path.length ? path.join('.') : 'value', text: ruleText(e) };
}

/** The sentence a client reads: `email must be a string`, `token is required in the query string`. */
export function plainSentence(problem: FieldProblem, where: string | undefined = 'body'): string {
  return `${problem.field} ${problem.text}${WHERE[where] ?? ''}`;
}

/**
 * Fastify's `schemaErrorFormatter`: the message of every validation error, whichever dialect
 * (or the operations and admin routes) answers it; `err.validation` keeps the raw details.
 */
export function plainSchemaError(errors: FastifySchemaValidationError[], dataVar: SchemaErrorDataVar): Error {
  return new Error(errors.map((e) => plainSentence(fieldProblem(e), dataVar)).join('; '));
}
