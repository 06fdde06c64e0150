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
          : `"${label}" ${e.message ?? 'is invalid'}`;
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
