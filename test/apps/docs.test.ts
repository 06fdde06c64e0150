import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';
import { backends } from '../helpers/backends.js';
import { startTestServer, type TestServer } from '../helpers/server.js';

// Compiled to dist/test/apps/: the documents live three levels up.
const doc = readFileSync(new URL('../../../docs/apps.md', import.meta.url), 'utf8');
const readme = readFileSync(new URL('../../../README.md', import.meta.url), 'utf8');

/** Every route, its documented statuses, and whether it takes a bearer token. */
const ROUTES: Record<string, { statuses: string[]; bearer: boolean }> = {
  '/auth/login': { statuses: ['200', '400', '401', '409', '413', '415', '429', '500', '503'], bearer: false },
  '/auth/refresh': { statuses: ['200', '400', '401', '413', '415', '500', '503'], bearer: true },
  '/auth/logout': { statuses: ['204', '400', '401', '413', '415', '500', '503'], bearer: true },
  '/users': { statuses: ['201', '400', '409', '413', '415', '500', '503'], bearer: false },
  '/users/change-password': {
    statuses: ['200', '400', '401', '413', '415', '429', '500', '503'],
    bearer: false,
  },
  '/users/email-code': { statuses: ['200', '400', '413', '415', '429', '500', '503'], bearer: false },
  '/users/email-code/verify': { statuses: ['200', '400', '413', '415', '429', '500', '503'], bearer: false },
  '/devices': { statuses: ['201', '400', '413', '415', '429', '500', '503'], bearer: false },
  '/auth/mfa/totp/enroll': {
    statuses: ['200', '400', '401', '409', '413', '415', '429', '500', '503'],
    bearer: true,
  },
  '/auth/mfa/totp/activate': {
    statuses: ['204', '400', '401', '409', '413', '415', '429', '500', '503'],
    bearer: true,
  },
  '/auth/mfa/totp/eject': {
    statuses: ['204', '400', '401', '413', '415', '429', '500', '503'],
    bearer: true,
  },
  '/auth/mfa/recovery-codes': {
    statuses: ['200', '400', '401', '413', '415', '429', '500', '503'],
    bearer: true,
  },
};

const CLAIMS = [
  'Login',
  'Alias',
  'SubjectKind',
  'ProfileWSID',
  'AppQName',
  'Roles',
  'GlobalRoles',
  'IsAPIToken',
  'Duration',
  'IssuedAt',
  'sid',
];

test('docs/apps.md has a heading for every route, and documents every claim', () => {
  for (const route of Object.keys(ROUTES)) {
    assert.match(doc, new RegExp(`^### POST …${route.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}$`, 'm'), route);
  }
  for (const claim of CLAIMS) assert.match(doc, new RegExp(`^\\| \`${claim}\` \\|`, 'm'), claim);
  for (const section of [
    '## Tenancy model',
    '## The email-code flow',
    '## Rate limits',
    '## MFA: a second factor',
    '### POST …/auth/logout',
  ]) {
    assert.ok(doc.includes(section), section);
  }
});

test('the README lists the apps dialect as mounted and links its document', () => {
  assert.match(
    readme,
    /^\| `apps` \| voedger \| 002 \| .* \| \*\*mounted\*\* — see \[docs\/apps\.md\]\(docs\/apps\.md\) \|$/m,
  );
});

const [backend] = await backends();

describe('the OpenAPI document describes the apps dialect', () => {
  let server: TestServer;
  let paths: Record<
    string,
    Record<string, { tags: string[]; security: unknown; responses: Record<string, unknown> }>
  >;
  before(async () => {
    server = await startTestServer(backend!);
    paths = (await server.inject({ method: 'GET', url: '/openapi.json' })).json().paths;
  });
  after(async () => server.close());

  test('the MFA routes and the login field are marked as Latchkey extensions', () => {
    const extension = /Latchkey extension/;
    for (const route of Object.keys(ROUTES).filter((r) => r.startsWith('/auth/mfa/'))) {
      const op = paths[`/api/v2/apps/{owner}/{app}${route}`]!['post'] as unknown as Record<string, string>;
      assert.match(`${op['summary']} ${op['description']}`, extension, route);
    }
    const login = paths['/api/v2/apps/{owner}/{app}/auth/login']!['post'] as unknown as {
      requestBody: {
        content: Record<string, { schema: { properties: Record<string, { description?: string }> } }>;
      };
    };
    const field = login.requestBody.content['application/json']!.schema.properties['secondaryAuthFactor'];
    assert.match(field?.description ?? '', extension);
  });

  test('every route is a POST with its statuses and security', () => {
    for (const [route, expected] of Object.entries(ROUTES)) {
      const path = `/api/v2/apps/{owner}/{app}${route}`;
      assert.deepEqual(Object.keys(paths[path] ?? {}), ['post'], path);
      const op = paths[path]!['post']!;
      assert.deepEqual(op.tags, ['apps']);
      assert.deepEqual(Object.keys(op.responses).sort(), [...expected.statuses].sort(), path);
      assert.deepEqual(op.security, expected.bearer ? [{ BearerAuth: [] }] : [], path);
    }
  });
});
