import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { promisify } from 'node:util';
import { Validator } from '@seriousme/openapi-schema-validator';
import { spaSettings } from '../../src/config/spa.js';
import { RPC_METHODS } from '../../src/http/dialects/rpc/index.js';
import { backends } from '../helpers/backends.js';
import { Contract, ContractViolation } from '../helpers/contract.js';
import { startTestServer, type TestServer } from '../helpers/server.js';

interface Operation {
  operationId?: string;
  tags?: string[];
  security?: Array<Record<string, string[]>>;
  requestBody?: { required?: boolean; content: Record<string, { schema: Record<string, unknown> }> };
  responses: Record<string, { description: string; content?: Record<string, { schema: unknown }> }>;
}
interface Document {
  openapi: string;
  info: { title: string; version: string };
  paths: Record<string, Record<string, Operation>>;
  components: { schemas: Record<string, unknown>; securitySchemes: Record<string, Record<string, unknown>> };
}

const [backend] = await backends();

describe('the OpenAPI document and docs page', () => {
  let server: TestServer;
  let doc: Document;
  before(async () => {
    server = await startTestServer(backend!);
    const res = await server.inject({ method: 'GET', url: '/openapi.json' });
    assert.equal(res.statusCode, 200);
    assert.match(String(res.headers['content-type']), /^application\/json/);
    doc = res.json() as Document;
  });
  after(async () => server.close());

  test('is valid OpenAPI 3.1', async () => {
    const validator = new Validator();
    const result = await validator.validate(structuredClone(doc) as unknown as Record<string, unknown>);
    assert.equal(result.valid, true, JSON.stringify(result.errors, null, 2));
    assert.equal(validator.version, '3.1');
    assert.equal(doc.openapi, '3.1.0');
  });

  test('passes `redocly lint` with the recommended rules: no error, every operation named', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'latchkey-redocly-'));
    try {
      const file = join(dir, 'openapi.json');
      await writeFile(file, JSON.stringify(doc));
      // The linter of node_modules, offline: no telemetry, no update check.
      const bin = new URL('../../../node_modules/.bin/redocly', import.meta.url).pathname;
      const run = await promisify(execFile)(
        bin,
        ['lint', file, '--extends=recommended', '--format=json', '--max-problems=1000'],
        {
          cwd: dir,
          env: { ...process.env, REDOCLY_TELEMETRY: 'off', REDOCLY_SUPPRESS_UPDATE_NOTICE: 'true' },
          maxBuffer: 16 * 1024 * 1024,
        },
      ).catch((err: { stdout?: string }) => ({ stdout: err.stdout ?? '' }));
      const report = JSON.parse(run.stdout) as {
        problems: Array<{
          ruleId: string;
          severity: string;
          message: string;
          location: Array<{ pointer: string }>;
        }>;
      };
      const show = (p: (typeof report.problems)[number]) =>
        `${p.ruleId} ${p.location[0]?.pointer}: ${p.message}`;
      const errors = report.problems.filter((p) => p.severity === 'error');
      assert.deepEqual(errors.map(show), []);
      const unnamed = report.problems.filter((p) =>
        [
          'operation-operationId',
          'operation-operationId-unique',
          'security-defined',
          'info-license',
        ].includes(p.ruleId),
      );
      assert.deepEqual(unnamed.map(show), []);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  test('lists where the server is, names every operation uniquely, and hides the 404 catch-alls', () => {
    assert.deepEqual((doc as unknown as { servers: unknown }).servers, [{ url: server.config.publicUrl }]);
    const ids = new Map<string, string>();
    for (const [path, item] of Object.entries(doc.paths)) {
      assert.doesNotMatch(path, /\{\*\}/, 'a wildcard is not an OpenAPI path parameter');
      for (const [method, op] of Object.entries(item)) {
        assert.ok(op.operationId, `${method} ${path} has an operationId`);
        assert.equal(ids.get(op.operationId), undefined, `${op.operationId} is unique`);
        ids.set(op.operationId, `${method} ${path}`);
      }
    }
    assert.equal(doc.paths['/login']?.['post']?.operationId, 'postLogin');
    assert.equal(
      doc.paths['/admin/users/{id}/activate']?.['post']?.operationId,
      'postAdminUsersByIdActivate',
    );
    assert.equal(doc.paths['/auth/login']?.['post']?.operationId, 'feathersLogin');
    assert.deepEqual(doc.paths['/metrics']?.['get']?.security, []);
  });

  test('names the package and declares the security schemes', async () => {
    const { readFile } = await import('node:fs/promises');
    const pkg = JSON.parse(await readFile(new URL('../../../package.json', import.meta.url), 'utf8')) as {
      name: string;
      version: string;
    };
    assert.equal(doc.info.title, pkg.name);
    assert.equal(doc.info.version, pkg.version);
    assert.deepEqual(doc.components.securitySchemes['BearerAuth'], {
      type: 'http',
      scheme: 'bearer',
      bearerFormat: 'JWT',
    });
    const cookie = doc.components.securitySchemes['sessionCookie']!;
    assert.equal(cookie['type'], 'apiKey');
    assert.equal(cookie['in'], 'cookie');
    assert.equal(cookie['name'], server.config.cookie.name);
    const refresh = doc.components.securitySchemes['refreshCookie']!;
    assert.deepEqual(
      [refresh['type'], refresh['in'], refresh['name']],
      ['apiKey', 'cookie', spaSettings(server.config).cookie.name],
    );
    const securityOf = (path: string) =>
      (doc.paths[path]?.['post'] as { security?: unknown } | undefined)?.security;
    assert.deepEqual(securityOf('/refresh'), [{ refreshCookie: [] }]);
    assert.deepEqual(securityOf('/logout'), [{ refreshCookie: [] }, {}]);
    assert.deepEqual(securityOf('/login'), []);
  });

  test('every tag an operation uses is described at the top of the document', () => {
    const used = new Set<string>();
    for (const item of Object.values(doc.paths))
      for (const op of Object.values(item) as Array<{ tags?: string[] }>)
        for (const tag of op.tags ?? []) used.add(tag);
    const described = new Map(
      ((doc as unknown as { tags?: Array<{ name: string; description?: string }> }).tags ?? []).map((t) => [
        t.name,
        t.description,
      ]),
    );
    assert.ok(used.size >= 7, `only ${[...used].join(', ')}`);
    for (const tag of used) assert.ok(described.get(tag), `tag ${tag} has no description`);
  });

  test('every rpc method is a POST with its request body, responses and security', () => {
    const prefix = server.config.rpc.prefix;
    for (const method of RPC_METHODS) {
      const path = `${prefix}/${method.name}`;
      const op = doc.paths[path]?.['post'];
      assert.ok(op, `${path} is documented`);
      assert.deepEqual(Object.keys(doc.paths[path]!), ['post'], `${path}: only POST is listed`);
      assert.equal(op.operationId, method.name);
      assert.deepEqual(op.tags, ['rpc']);
      const body = op.requestBody?.content['application/json']?.schema;
      assert.ok(body, `${path} has a JSON request body`);
      assert.deepEqual(
        Object.keys(body['properties'] as object).sort(),
        Object.keys(method.body['properties'] as object).sort(),
        `${path}: request body properties`,
      );
      assert.equal(op.requestBody?.required, (method.body['required'] ?? []).length > 0);
      assert.deepEqual(Object.keys(op.responses).sort(), ['200', '400', '413', '415', '429', '500', '503']);
      for (const response of Object.values(op.responses)) {
        assert.ok(response.description);
        assert.ok(response.content?.['application/json']?.schema);
      }
      const ok = (op.responses['200']!.content!['application/json']!.schema as { anyOf: unknown[] }).anyOf;
      assert.equal(ok.length, 2, `${path}: success or error envelope`);
      assert.deepEqual(ok[1], { $ref: '#/components/schemas/RpcErrorEnvelope' });
      const expected =
        method.security === 'cookie'
          ? [{ sessionCookie: [] }]
          : method.auth === 'required'
            ? [{ BearerAuth: [] }, { sessionCookie: [] }]
            : [];
      assert.deepEqual(op.security, expected, `${path}: security`);
    }
  });

  test('the operational routes are documented', () => {
    assert.deepEqual(Object.keys(doc.paths['/healthz']!['get']!.responses), ['200']);
    assert.deepEqual(Object.keys(doc.paths['/readyz']!['get']!.responses).sort(), ['200', '503']);
    assert.deepEqual(Object.keys(doc.paths['/.well-known/jwks.json']!['get']!.responses), ['200']);
    assert.ok(doc.paths[`${server.config.rpc.prefix}/ping`]?.['get']);
    for (const name of ['HttpError', 'RpcError', 'RpcErrorEnvelope', 'RpcUser', 'RpcSessionUser']) {
      assert.ok(doc.components.schemas[name], `component ${name}`);
    }
  });

  test('the apps sign-in and refresh answer the named PrincipalToken component (seed 002)', () => {
    const component = doc.components.schemas['PrincipalToken'] as {
      type: string;
      required: string[];
      additionalProperties: boolean;
      properties: Record<string, { type: string; format?: string; description?: string }>;
    };
    assert.ok(component, 'components.schemas.PrincipalToken');
    assert.equal(component.type, 'object');
    assert.deepEqual(Object.keys(component.properties).sort(), [
      'expiresInSeconds',
      'principalToken',
      'profileWSID',
    ]);
    assert.deepEqual([...component.required].sort(), ['expiresInSeconds', 'principalToken', 'profileWSID']);
    assert.equal(component.additionalProperties, false);
    assert.equal(component.properties['principalToken']!.type, 'string');
    for (const name of ['expiresInSeconds', 'profileWSID']) {
      assert.equal(component.properties[name]!.type, 'integer', name);
      assert.equal(component.properties[name]!.format, 'int64', name);
    }
    for (const [name, property] of Object.entries(component.properties)) {
      assert.ok((property.description ?? '').length > 0, `${name} has a description`);
    }
    for (const route of ['login', 'refresh']) {
      const ok = doc.paths[`/api/v2/apps/{owner}/{app}/auth/${route}`]?.['post']?.responses['200'];
      assert.ok(ok?.description, `${route}: the 200 answer is described`);
      assert.deepEqual(
        ok.content?.['application/json']?.schema,
        { $ref: '#/components/schemas/PrincipalToken' },
        `${route}: the 200 answer points at the component`,
      );
    }
    // Named once: no other operation carries an inlined copy of it.
    const inlined = JSON.stringify(doc.paths).match(/"principalToken":\{/g) ?? [];
    assert.deepEqual(inlined, [], 'the principal token shape is not inlined anywhere');
  });

  test('GET /docs answers the docs page with its assets served locally and a CSP', async () => {
    const res = await server.inject({ method: 'GET', url: '/docs' });
    assert.equal(res.statusCode, 200);
    assert.match(String(res.headers['content-type']), /^text\/html/);
    assert.match(res.body, /<div id="swagger-ui">/);
    const csp = String(res.headers['content-security-policy']);
    assert.match(csp, /default-src 'none'/);
    assert.match(csp, /script-src 'self'/);
    assert.match(csp, /frame-ancestors 'none'/);
    const sources = [...res.body.matchAll(/(?:src|href)="([^"]+)"/g)].map((m) => m[1]!);
    assert.ok(sources.length >= 4);
    for (const src of sources) {
      assert.doesNotMatch(src, /^(https?:)?\/\//, `${src} is local`);
      const asset = await server.inject({ method: 'GET', url: src });
      assert.equal(asset.statusCode, 200, src);
    }
    const init = await server.inject({ method: 'GET', url: '/docs/static/swagger-initializer.js' });
    assert.equal(init.statusCode, 200);
    const json = await server.inject({ method: 'GET', url: '/docs/json' });
    assert.deepEqual(json.json(), doc, 'the docs page shows the same document');
  });

  test('docs/openapi.md covers every tag and component of the document, and the README links it and /docs', async () => {
    const { readFile } = await import('node:fs/promises');
    const guide = await readFile(new URL('../../../docs/openapi.md', import.meta.url), 'utf8');
    const readme = await readFile(new URL('../../../README.md', import.meta.url), 'utf8');
    const tags = new Set(
      Object.values(doc.paths).flatMap((item) => Object.values(item).flatMap((op) => op.tags ?? [])),
    );
    assert.ok(tags.size >= 7, [...tags].join(', '));
    for (const tag of tags) assert.match(guide, new RegExp(`^\\| \`${tag}\` \\|`, 'm'), `a row for ${tag}`);
    for (const name of Object.keys(doc.components.schemas)) {
      assert.ok(guide.includes(`\`${name}\``), `docs/openapi.md names the component ${name}`);
    }
    assert.match(guide, /^## Generating a client$/m);
    assert.match(guide, /openapi-typescript .*\/openapi\.json/);
    assert.match(guide, /openapi-generator-cli generate/);
    assert.match(readme, /\]\(http:\/\/127\.0\.0\.1:8080\/docs\)/, 'the README links the docs page');
    assert.match(readme, /\]\(docs\/openapi\.md\)/, 'the README links docs/openapi.md');
  });

  test('the contract layer rejects an answer the document does not describe', async () => {
    const healthz = await server.app.inject({ method: 'GET', url: '/healthz' });
    const contract = new Contract(structuredClone(doc) as never);
    contract.check({ method: 'GET', url: '/healthz' }, healthz);

    const changed = structuredClone(doc);
    const schema = changed.paths['/healthz']!['get']!.responses['200']!.content!['application/json']!
      .schema as { properties: { status: unknown } };
    schema.properties.status = { const: 'fine' };
    assert.throws(
      () => new Contract(changed as never).check({ method: 'GET', url: '/healthz' }, healthz),
      ContractViolation,
    );

    const undocumented = structuredClone(doc);
    delete undocumented.paths['/healthz']!['get']!.responses['200'];
    assert.throws(
      () => new Contract(undocumented as never).check({ method: 'GET', url: '/healthz' }, healthz),
      /status not documented/,
    );
    // An unknown path may only be a 404 in the HTTP error shape; a known path with another verb only a 405.
    const missing = await server.inject({ method: 'GET', url: '/nope' });
    assert.equal(missing.statusCode, 404);
    assert.throws(() => contract.check({ method: 'GET', url: '/nope' }, healthz), /only 404/);
    const verb = await server.inject({ method: 'GET', url: `${server.config.rpc.prefix}/user.info` });
    assert.equal(verb.statusCode, 405);
  });
});

describe('the OpenAPI document of a server with some dialects switched off', () => {
  let server: TestServer;
  let doc: Document;
  before(async () => {
    server = await startTestServer(backend!, { overrides: { dialects: ['apps', 'feathers'] } });
    doc = (await server.inject({ method: 'GET', url: '/openapi.json' })).json() as Document;
  });
  after(async () => server.close());

  test('lists only the tags, schemes and components of the mounted dialects, and stays valid', async () => {
    const result = await new Validator().validate(structuredClone(doc) as unknown as Record<string, unknown>);
    assert.equal(result.valid, true, JSON.stringify(result.errors, null, 2));
    const tags = (doc as unknown as { tags: Array<{ name: string }> }).tags.map((t) => t.name);
    assert.deepEqual(tags.sort(), ['admin', 'apps', 'feathers', 'operations', 'pages']);
    assert.deepEqual(Object.keys(doc.components.securitySchemes), ['BearerAuth']);
    const schemas = Object.keys(doc.components.schemas);
    assert.ok(schemas.includes('PrincipalToken') && schemas.includes('HttpError'), schemas.join(', '));
    assert.deepEqual(
      schemas.filter((name) => name.startsWith('Rpc')),
      [],
    );
    const paths = Object.keys(doc.paths);
    assert.ok(!paths.some((p) => p.startsWith(`${server.config.rpc.prefix}/user.`)), 'no rpc routes');
    assert.ok(!paths.includes('/login'), 'no spa routes');
  });
});
