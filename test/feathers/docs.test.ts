import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';
import { backends } from '../helpers/backends.js';
import { startTestServer, type TestServer } from '../helpers/server.js';

// Compiled to dist/test/feathers/docs.test.js: the documents live three levels up.
const doc = readFileSync(new URL('../../../docs/feathers.md', import.meta.url), 'utf8');
const readme = readFileSync(new URL('../../../README.md', import.meta.url), 'utf8');

interface Operation {
  tags?: string[];
  responses: Record<string, unknown>;
}

const [backend] = await backends();

describe('docs/feathers.md', () => {
  let server: TestServer;
  let paths: Record<string, Record<string, Operation>>;
  before(async () => {
    server = await startTestServer(backend!);
    paths = (await server.inject({ method: 'GET', url: '/openapi.json' })).json().paths;
  });
  after(async () => server.close());

  test('names every route the dialect serves, with its method', () => {
    let routes = 0;
    for (const [path, item] of Object.entries(paths)) {
      for (const [method, op] of Object.entries(item)) {
        if (!op.tags?.includes('feathers')) continue;
        if (!Object.keys(op.responses).some((status) => status.startsWith('2') || status.startsWith('3')))
          continue;
        routes++;
        const shown = `${method.toUpperCase()} ${path.replace('{id}', ':accessToken')}`;
        assert.ok(doc.includes(shown), `docs/feathers.md does not mention ${shown}`);
      }
    }
    assert.ok(routes >= 7, `only ${routes} feathers routes found`);
  });

  test('documents every feathers.* setting, and the README links it', () => {
    for (const key of [
      'prefix',
      'tokenTtlSeconds',
      'signupEnabled',
      'activationTtlSeconds',
      'redirectOrigins',
    ]) {
      assert.ok(doc.includes(`\`feathers.${key}\``), `docs/feathers.md does not document feathers.${key}`);
    }
    assert.match(readme, /\| `feathers` \|.*\*\*mounted\*\*.*docs\/feathers\.md/);
  });
});
