import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { FastifySchemaValidationError } from 'fastify/types/schema.js';
import { plainSchemaError } from '../../src/http/validation-wording.js';
import { backends } from '../helpers/backends.js';
import { startTestServer, type TestServer } from '../helpers/server.js';

/** Words of the validator (Ajv) that must never reach a client. */
const LIBRARY_WORDS =
  /must NOT|must have required property|must be string|body\/|querystring|must match pattern/;

describe('schema failures answer in plain words, in each dialect’s own format', async () => {
  const [sqlite] = await backends();
  let server: TestServer;
  before(async () => {
    server = await startTestServer(sqlite!);
  });
  after(async () => server.close());

  const post = (url: string, payload: unknown) =>
    server.inject({
      method: 'POST',
      url,
      headers: { 'content-type': 'application/json' },
      payload: JSON.stringify(payload),
    });

  test('rpc: Joi’s sentences, as from the reference', async () => {
    const res = await post('/api/session.issueToken', { user: 'alice', password: 'x'.repeat(1025) });
    const body = res.json() as { ok: boolean; error: { details: Array<{ message: string; type: string }> } };
    assert.equal(body.ok, false, res.body);
    assert.deepEqual(
      body.error.details.map((d) => [d.message, d.type]),
      [['"password" length must be less than or equal to 1024 characters long', 'string.max']],
    );
    const typed = (
      await post('/api/session.issueToken', { user: 5, password: 'whatever-pass' })
    ).json() as typeof body;
    assert.equal(typed.error.details[0]!.message, '"user" must be a string');
    assert.doesNotMatch(JSON.stringify(typed), LIBRARY_WORDS);
  });

  test('feathers: a BadRequest naming the field, in plain words', async () => {
    const res = await post('/auth/login', { email: 5, password: 'whatever-pass' });
    assert.equal(res.statusCode, 400);
    const body = res.json() as { name: string; message: string; errors: Record<string, string> };
    assert.equal(body.name, 'BadRequest');
    assert.equal(body.message, 'email must be a string');
    assert.deepEqual(body.errors, { email: 'must be a string' });
    const activate = await server.inject({
      method: 'GET',
      url: '/activate',
      headers: { accept: 'application/json' },
    });
    assert.equal(activate.statusCode, 400);
    assert.equal((activate.json() as { message: string }).message, 'token is required in the query string');
  });

  test('spa: its own 422 (express-validator’s shape), with no validator words', async () => {
    const res = await post('/login', { email: 5, password: 'whatever-pass' });
    assert.equal(res.statusCode, 422);
    assert.doesNotMatch(res.body, LIBRARY_WORDS);
  });
});

test('every validator rule has a plain sentence (the message of the generic and feathers errors)', () => {
  const error = (keyword: string, params: Record<string, unknown>, instancePath = '/field') =>
    ({
      keyword,
      params,
      instancePath,
      schemaPath: '#',
      message: 'library words',
    }) as FastifySchemaValidationError;
  const cases: Array<[FastifySchemaValidationError, string]> = [
    [error('required', { missingProperty: 'email' }, ''), 'email is required'],
    [error('additionalProperties', { additionalProperty: 'extra' }, ''), 'extra is not allowed'],
    [error('type', { type: 'string' }), 'field must be a string'],
    [error('type', { type: 'integer' }), 'field must be a whole number'],
    [error('type', { type: 'string,null' }), 'field must be a string or null'],
    [error('minLength', { limit: 1 }), 'field must not be empty'],
    [error('minLength', { limit: 8 }), 'field must be at least 8 characters long'],
    [error('maxLength', { limit: 1024 }, '/password'), 'password must be at most 1024 characters long'],
    [error('minimum', { limit: 1 }), 'field must be at least 1'],
    [error('maximum', { limit: 100 }), 'field must be at most 100'],
    [error('enum', { allowedValues: ['a', 'b'] }), 'field must be one of: a, b'],
    [error('format', { format: 'email' }), 'field must be an email address'],
    [error('pattern', { pattern: '^x$' }), 'field is not in the expected format'],
    [error('maxItems', { limit: 2 }, '/emails'), 'emails must have at most 2 items'],
    [error('type', { type: 'string' }, '/emails/0/address'), 'emails.0.address must be a string'],
  ];
  for (const [e, sentence] of cases) assert.equal(plainSchemaError([e], 'body').message, sentence);
  assert.equal(
    plainSchemaError([error('required', { missingProperty: 'token' }, '')], 'querystring').message,
    'token is required in the query string',
  );
});
