import type { FastifySchemaValidationError } from 'fastify/types/schema.js';
import { LatchkeyError } from '../../../shared/errors.js';

/** Ajv keywords in the vocabulary of the Joi errors the reference returned. */
const JOI_TYPE: Record<string, string> = {
  required: 'any.required',
  additionalProperties: 'object.allowUnknown',
  minLength: 'string.min',
  maxLength: 'string.max',
  pattern: 'string.regex.base',
  format: 'string.base',
  enum: 'any.allowOnly',
  const: 'any.allowOnly',
  minimum: 'number.min',
  maximum: 'number.max',
  minItems: 'array.min',
  maxItems: 'array.max',
  minProperties: 'object.min',
  anyOf: 'alternatives.base',
};

/** Joi has no integer type: an integer that is not even a number is `number.base`. */
function joiBaseType(jsonType: string): string {
  return jsonType === 'integer' ? 'number' : jsonType;
}

/**
 * The reference's (Joi's) sentence for one rule, after the quoted label: the rpc dialect's
 * clients read `"password" length must be less than or equal to 1024 characters long`, as
 * from yeep, never the validator's own `must NOT have more than 1024 characters`.
 */
function joiText(keyword: string, params: Record<string, unknown>): string {
  const limit = params['limit'];
  switch (keyword) {
    case 'type': {
      const type = joiBaseType(String(params['type']).split(',')[0]!);
      return `must be ${type === 'object' || type === 'array' ? 'an' : 'a'} ${type}`;
    }
    case 'minLength':
      return Number(limit) === 1
        ? 'is not allowed to be empty'
        : `length must be at least ${limit} characters long`;
    case 'maxLength':
      return `length must be less than or equal to ${limit} characters long`;
    case 'pattern':
      return 'fails to match the required pattern';
    case 'format':
      return params['format'] === 'email'
        ? 'must be a valid email'
        : `must be a valid ${String(params['format'])}`;
    case 'enum':
      return `must be one of [${(params['allowedValues'] as unknown[]).map(String).join(', ')}]`;
    case 'const':
      return `must be one of [${String(params['allowedValue'])}]`;
    case 'minimum':
      return `must be larger than or equal to ${limit}`;
    case 'maximum':
      return `must be less than or equal to ${limit}`;
    case 'exclusiveMinimum':
      return `must be greater than ${limit}`;
    case 'exclusiveMaximum':
      return `must be less than ${limit}`;
    case 'minItems':
      return `must contain at least ${limit} items`;
    case 'maxItems':
      return `must contain less than or equal to ${limit} items`;
    case 'minProperties':
      return `must have at least ${limit} children`;
    case 'anyOf':
    case 'oneOf':
      return 'does not match any of the allowed types';
    default:
      return 'is invalid';
  }
}

/** Turns Ajv errors into the reference's `details: [{message, path, type, context}]`. */
export function validationDetails(errors: FastifySchemaValidationError[]): unknown[] {
  return errors.map((e) => {
    const path = e.instancePath
      .split('/')
      .slice(1)
      .map((p) => (/^\d+$/.test(p) ? Number(p) : p.replace(/~1/g, '/').replace(/~0/g, '~')));
    const params = e.params as Record<string, unknown>;
    if (e.keyword === 'required') path.push(String(params['missingProperty']));
    if (e.keyword === 'additionalProperties') path.push(String(params['additionalProperty']));
    const key = path.at(-1);
    const label = key === undefined ? 'value' : String(key);
    const type =
      e.keyword === 'type'
        ? `${joiBaseType(String(params['type']).split(',')[0]!)}.base`
        : (JOI_TYPE[e.keyword] ?? `any.${e.keyword}`);
    const message =
      e.keyword === 'required'
        ? `"${label}" is required`
        : e.keyword === 'additionalProperties'
          ? `"${label}" is not allowed`
          : `"${label}" ${joiText(e.keyword, params)}`;
    return { message, path, type, context: { key, label } };
  });
}

/** A body the schema accepts but a handler finds invalid: the same 400 'Invalid request body' with details. */
export function invalidBody(details: unknown[]): never {
  throw new LatchkeyError('invalid_input', 'Invalid request body', { bodyDetails: details });
}

/** Joi's `object.missing`: an update that names nothing to change. */
export function nothingToChange(fields: string[]): Record<string, unknown> {
  return {
    message: `"value" must contain at least one of [${fields.join(', ')}]`,
    path: [],
    type: 'object.missing',
    context: { peers: fields, label: 'value' },
  };
}

/** Joi's `any.required` / `any.forbidden` for one field a handler finds missing or out of place. */
export function fieldDetail(field: string, type: 'any.required' | 'any.forbidden'): Record<string, unknown> {
  return {
    message: `"${field}" ${type === 'any.required' ? 'is required' : 'is not allowed'}`,
    path: [field],
    type,
    context: { key: field, label: field },
  };
}
