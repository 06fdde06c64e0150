import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Browser } from 'playwright-core';
import { backends } from '../helpers/backends.js';
import { launchChromium } from '../helpers/browser.js';
import { freePort } from '../helpers/process.js';
import { startTestServer, type TestServer } from '../helpers/server.js';

/**
 * The docs page (`GET /docs`, Swagger UI) in real headless Chromium against a real
 * Latchkey listening on loopback: it must render every dialect's operations and the
 * named schemas from its own origin alone, under its strict CSP, without an error.
 */
interface Document {
  paths: Record<string, Record<string, { tags?: string[] }>>;
  components: { schemas: Record<string, unknown> };
}

/** Minimal shapes of what the page's elements give back (the DOM library is not in the build). */
interface Node {
  getAttribute(name: string): string | null;
  querySelector(selector: string): Node | null;
  querySelectorAll(selector: string): ArrayLike<Node>;
  textContent: string | null;
}

const DIALECT_TAGS = ['rpc', 'apps', 'spa', 'feathers', 'admin'];

const [sqlite] = await backends();

describe('the docs page in headless Chromium', () => {
  let server: TestServer;
  let browser: Browser;
  let origin: string;
  let doc: Document;

  before(async () => {
    const port = await freePort();
    origin = `http://127.0.0.1:${port}`;
    server = await startTestServer(sqlite!, { overrides: { publicUrl: origin } });
    await server.app.listen({ port, host: '127.0.0.1' });
    doc = (await server.inject({ method: 'GET', url: '/openapi.json' })).json() as Document;
    browser = await launchChromium();
  });

  after(async () => {
    await browser?.close();
    await server?.close();
  });

  test('renders every dialect’s operations and the PrincipalToken schema, from its own origin only, without errors', {
    timeout: 120_000,
  }, async () => {
    const context = await browser.newContext();
    const requests: string[] = [];
    const foreign: string[] = [];
    const failed: string[] = [];
    const refused: string[] = [];
    const errors: string[] = [];
    // Anything for another origin is recorded and never sent: nothing may leave the machine.
    await context.route('**/*', async (route) => {
      const url = route.request().url();
      if (new URL(url).origin === origin) return route.continue();
      foreign.push(url);
      return route.abort('blockedbyclient');
    });
    // CSP violations, as the page itself sees them (the init script runs outside the page's CSP).
    await context.addInitScript(() => {
      const scope = globalThis as unknown as {
        __violations: string[];
        document: { addEventListener(type: string, listener: (e: unknown) => void): void };
      };
      scope.__violations = [];
      scope.document.addEventListener('securitypolicyviolation', (e) => {
        const event = e as { violatedDirective: string; blockedURI: string };
        scope.__violations.push(`${event.violatedDirective} ${event.blockedURI}`);
      });
    });
    const page = await context.newPage();
    page.on('request', (request) => requests.push(request.url()));
    page.on('requestfailed', (request) => failed.push(`${request.url()}: ${request.failure()?.errorText}`));
    page.on('response', (response) => {
      if (response.status() >= 400) refused.push(`${response.url()} → ${response.status()}`);
    });
    page.on('console', (message) => {
      if (message.type() === 'error' || message.type() === 'warning') {
        errors.push(`console.${message.type()}: ${message.text()}`);
      }
    });
    page.on('pageerror', (error) => errors.push(`page error: ${error.message}`));

    const answer = await page.goto(`${origin}/docs`);
    assert.equal(answer?.status(), 200);
    // Swagger UI fetched the document and drew it: the title, then every tag's operations.
    await page.waitForSelector('.information-container .title');
    assert.match((await page.textContent('.information-container .title')) ?? '', /latchkey/);

    // What the document lists under each tag, as `METHOD path`.
    const expected = new Map<string, Set<string>>();
    for (const [path, item] of Object.entries(doc.paths)) {
      for (const [method, operation] of Object.entries(item)) {
        for (const tag of operation.tags ?? []) {
          expected.set(tag, (expected.get(tag) ?? new Set()).add(`${method.toUpperCase()} ${path}`));
        }
      }
    }
    for (const tag of DIALECT_TAGS) assert.ok(expected.has(tag), `the document has ${tag} operations`);

    // What the page shows under each tag. With this many operations Swagger UI renders
    // only the rows near the viewport (a virtual list of tag headers and operations, in
    // document order): scroll it through, keeping every row seen by its index.
    const total = expected.size + [...expected.values()].reduce((n, ops) => n + ops.size, 0);
    const rows = new Map<number, { tag: string | null; operation: string | null }>();
    const row = (index: number) => page.locator(`.operations-virtual__item[data-index="${index}"]`);
    await page.locator('.opblock-tag').first().waitFor();
    // Below 150 rows Swagger UI draws them all at once, in document order, with no virtual list.
    const virtual = total >= 150;
    if (!virtual) {
      const all = await page.locator('.opblock-tag, .opblock').evaluateAll((nodes) =>
        (nodes as unknown as Node[]).map((node) =>
          (node.getAttribute('class') ?? '').split(' ').includes('opblock-tag')
            ? { tag: node.getAttribute('data-tag'), operation: null }
            : {
                tag: null,
                operation: `${node.querySelector('.opblock-summary-method')?.textContent ?? ''} ${
                  node.querySelector('.opblock-summary-path')?.getAttribute('data-path') ?? ''
                }`,
              },
        ),
      );
      for (const [index, content] of all.entries()) rows.set(index, content);
    } else await row(0).waitFor();
    while (virtual && rows.size < total) {
      const visible = await page.locator('.operations-virtual__item').evaluateAll((nodes) =>
        (nodes as unknown as Node[]).map((node) => {
          const block = node.querySelector('.opblock');
          return {
            index: Number(node.getAttribute('data-index')),
            tag: node.querySelector('.opblock-tag')?.getAttribute('data-tag') ?? null,
            operation: block
              ? `${block.querySelector('.opblock-summary-method')?.textContent ?? ''} ${
                  block.querySelector('.opblock-summary-path')?.getAttribute('data-path') ?? ''
                }`
              : null,
          };
        }),
      );
      for (const { index, ...content } of visible) rows.set(index, content);
      const last = Math.max(...rows.keys());
      if (rows.size >= total) break;
      assert.ok(last + 1 < total, `${rows.size} of ${total} rows seen, none after row ${last}`);
      await row(last).scrollIntoViewIfNeeded();
      await row(last + 1).waitFor({ state: 'attached' });
    }
    assert.equal(rows.size, total, 'one row per tag and per operation of each tag');
    const shown = new Map<string, string[]>();
    let current: string | null = null;
    for (const index of [...rows.keys()].sort((a, b) => a - b)) {
      const { tag, operation } = rows.get(index)!;
      if (tag !== null) {
        current = tag;
        shown.set(tag, []);
      } else if (operation !== null && current !== null) shown.get(current)!.push(operation);
      else assert.fail(`row ${index} is neither a tag nor an operation under one`);
    }
    assert.deepEqual([...shown.keys()].sort(), [...expected.keys()].sort(), 'every tag has its section');
    for (const [tag, operations] of expected) {
      assert.deepEqual(
        [...(shown.get(tag) ?? [])].sort(),
        [...operations].sort(),
        `the ${tag} section lists exactly the document's ${tag} operations`,
      );
    }
    assert.ok(
      (shown.get('apps') ?? []).includes('POST /api/v2/apps/{owner}/{app}/auth/login'),
      'the apps sign-in is listed',
    );

    // The schemas section lists every component; PrincipalToken, opened, shows its three fields.
    const models = page.locator('section.models article[data-json-schema-level="0"]');
    await models.first().waitFor();
    const names = await models
      .locator('> .json-schema-2020-12-head .json-schema-2020-12__title')
      .allTextContents();
    assert.deepEqual(
      names.map((n) => n.trim()).sort(),
      Object.keys(doc.components.schemas).sort(),
      'every component is in the schemas section',
    );
    const model = models.filter({
      has: page.locator('> .json-schema-2020-12-head .json-schema-2020-12__title', {
        hasText: /^PrincipalToken$/,
      }),
    });
    await model.locator('> .json-schema-2020-12-head .json-schema-2020-12-accordion').click();
    const properties = model.locator('.json-schema-2020-12-property');
    await properties.first().waitFor();
    const fields = await properties.evaluateAll((nodes) =>
      (nodes as unknown as Node[]).map((node) => ({
        name: node.querySelector('.json-schema-2020-12__title')?.textContent ?? '',
        type: node.querySelector('.json-schema-2020-12__attribute--primary')?.textContent ?? '',
        required: (node.getAttribute('class') ?? '').includes('json-schema-2020-12-property--required'),
      })),
    );
    assert.deepEqual(fields, [
      { name: 'principalToken', type: 'string', required: true },
      { name: 'expiresInSeconds', type: 'integer', required: true },
      { name: 'profileWSID', type: 'integer', required: true },
    ]);

    const violations = await page.evaluate(
      () => (globalThis as unknown as { __violations: string[] }).__violations,
    );
    assert.deepEqual(violations, [], 'no CSP violation');
    assert.deepEqual(errors, [], 'no console error or warning, no page error');
    assert.deepEqual(foreign, [], 'no request for another origin');
    assert.deepEqual(failed, [], 'no request failed');
    assert.deepEqual(refused, [], 'every asset and the document were served');
    assert.ok(
      requests.includes(`${origin}/docs/json`),
      `the page fetched its document: ${requests.join(', ')}`,
    );
    for (const url of requests) assert.equal(new URL(url).origin, origin, `${url} is the server's own`);
    await context.close();
  });
});
