import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { extname, join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { FastifyInstance } from 'fastify';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { loadConfig } from '../../src/config/load.js';
import { buildApp } from '../../src/http/server.js';
import { codeAt } from '../../src/mfa/index.js';
import { createServices, type Services } from '../../src/services.js';
import { ManualClock } from '../../src/shared/clock.js';
import { CHROMIUM, chromiumInstalled, launchChromium } from '../helpers/browser.js';
import { freePort } from '../helpers/process.js';
import { seedUser, TEST_ARGON2, TEST_SECRET, type TestServer } from '../helpers/server.js';

/**
 * The example SPA (examples/spa) in real headless Chromium against a real Latchkey
 * listening on loopback. The server runs in this process, so its clock is a
 * ManualClock the test moves (no sleeping), and a barrier holds concurrent refreshes
 * together so that two tabs really present the same cookie at once.
 */
const EXAMPLE = new URL('../../../examples/spa/', import.meta.url);
const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
};
const ACCESS_TTL_SECONDS = 60;

/** What examples/spa/app.js puts on the page for scripts (and this test). */
interface Demo {
  demo: { refresh(): Promise<boolean>; ready: Promise<void> };
}

function exampleFile(name: string): { body: string; type: string } | null {
  const file = name === '' ? 'index.html' : name;
  if (!/^[a-z]+\.(html|js)$/.test(file)) return null;
  const path = new URL(file, EXAMPLE);
  return existsSync(path) ? { body: readFileSync(path, 'utf8'), type: TYPES[extname(file)]! } : null;
}

/** The example served from another loopback origin: a cross-origin SPA calling Latchkey with CORS. */
async function staticOrigin(): Promise<{ server: Server; origin: string }> {
  const port = await freePort();
  const server = createServer((req, res) => {
    const found = exampleFile(new URL(req.url ?? '/', 'http://x').pathname.slice(1));
    if (!found) {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, { 'content-type': found.type }).end(found.body);
  });
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  return { server, origin: `http://127.0.0.1:${port}` };
}

const available = chromiumInstalled;
if (!available && process.env['CI'])
  throw new Error(`${CHROMIUM} is required in CI (apt-get install -y chromium)`);

describe('the example SPA in headless Chromium', {
  skip: available ? false : `${CHROMIUM} is not installed`,
}, () => {
  let dir: string;
  let services: Services;
  let app: FastifyInstance;
  let clock: ManualClock;
  let origin: string;
  let browser: Browser;
  let other: { server: Server; origin: string };
  let stranger: { server: Server; origin: string };
  /** examples/spa/serve.mjs: the example and Latchkey behind one origin, as its README runs it. */
  let proxied: { server: Server; origin: string };
  /** Holds `/refresh` calls until `count` of them are inside, then lets them all go. */
  let barrier: { count: number; waiting: Array<() => void> } | null = null;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'latchkey-browser-'));
    other = await staticOrigin();
    stranger = await staticOrigin();
    const proxyPort = await freePort();
    const port = await freePort();
    origin = `http://127.0.0.1:${port}`;
    const config = loadConfig({
      env: {},
      overrides: {
        secret: TEST_SECRET,
        dataDir: dir,
        databaseUrl: `sqlite:${join(dir, 'latchkey.db')}`,
        publicUrl: origin,
        // Plain http on loopback: the cookie cannot be Secure here.
        'spa.cookie.secure': false,
        'spa.accessTokenTtlSeconds': ACCESS_TTL_SECONDS,
        'spa.allowedOrigins': [other.origin, `http://127.0.0.1:${proxyPort}`],
        logLevel: 'warn',
      },
    });
    clock = new ManualClock(Date.now());
    services = await createServices(config, { clock, argon2: TEST_ARGON2 });
    const refresh = services.sessions.refresh.bind(services.sessions);
    services.sessions.refresh = async (...args) => {
      const held = barrier;
      if (held) {
        await new Promise<void>((resolve) => {
          held.waiting.push(resolve);
          if (held.waiting.length === held.count) for (const go of held.waiting) go();
        });
      }
      return refresh(...args);
    };
    app = await buildApp(services, { logger: false });
    // Test-only: the example SPA, served by the same server (same origin as Latchkey).
    app.get('/example/*', { schema: { hide: true } }, async (request, reply) => {
      const found = exampleFile((request.params as { '*': string })['*']);
      if (!found)
        return reply.status(404).send({ statusCode: 404, error: 'Not Found', message: 'no such file' });
      return reply.header('content-type', found.type).send(found.body);
    });
    await app.listen({ port, host: '127.0.0.1' });
    const { serveExample } = (await import(new URL('serve.mjs', EXAMPLE).href)) as {
      serveExample(options: { port: number; latchkey: string }): Promise<Server>;
    };
    proxied = {
      server: await serveExample({ port: proxyPort, latchkey: origin }),
      origin: `http://127.0.0.1:${proxyPort}`,
    };
    browser = await launchChromium();
  });

  after(async () => {
    await browser?.close();
    await app?.close();
    await services?.close();
    other?.server.close();
    stranger?.server.close();
    proxied?.server.close();
    rmSync(dir, { recursive: true, force: true });
  });

  /** seedUser wants a TestServer; it only uses services and the clock. */
  const seed = () => seedUser({ services, clock } as unknown as TestServer);

  const status = (page: Page) => page.locator('#status');
  async function expectStatus(page: Page, text: string | RegExp): Promise<void> {
    const locator = status(page);
    // Only catches a status that never comes: Chromium on a busy machine can be slow.
    const deadline = Date.now() + 30_000;
    let last = '';
    while (Date.now() < deadline) {
      last = (await locator.textContent()) ?? '';
      if (typeof text === 'string' ? last === text : text.test(last)) return;
      await page.waitForTimeout(25);
    }
    assert.fail(`status is "${last}", expected ${text}`);
  }

  /** Clicks a button of the example after clearing its status, so a stale status never passes for the new one. */
  async function press(page: Page, selector: string): Promise<void> {
    await page.evaluate(() => {
      const doc = (
        globalThis as unknown as { document: { getElementById(id: string): { textContent: string } } }
      ).document;
      doc.getElementById('status').textContent = 'working';
    });
    await page.click(selector);
  }

  /** Opens the example and waits until it knows, from the cookie, whether it is signed in. */
  async function open(page: Page, url: string): Promise<void> {
    await page.goto(url);
    await page.evaluate(() => (globalThis as unknown as Demo).demo.ready);
  }

  async function signIn(page: Page, user: { emails: Array<{ address: string }>; password: string }) {
    await page.fill('#email', user.emails[0]!.address);
    await page.fill('#password', user.password);
    await press(page, '#sign-in');
  }

  async function refreshCookie(context: BrowserContext) {
    return (await context.cookies(origin)).find((c) => c.name === 'it24_refresh_token');
  }

  test('sign in, call the API, outlive the access token, refresh in two tabs at once, sign out', {
    timeout: 120_000,
  }, async () => {
    const user = await seed();
    const context = await browser.newContext();
    const tab1 = await context.newPage();
    await open(tab1, `${origin}/example/`);
    await signIn(tab1, user);
    await expectStatus(tab1, 'signed in');

    // The refresh cookie: HttpOnly (invisible to the page), SameSite=Lax, at the mount's path.
    const cookie = await refreshCookie(context);
    assert.ok(cookie, 'the browser keeps the refresh cookie');
    assert.equal(cookie.httpOnly, true);
    assert.equal(cookie.sameSite, 'Lax');
    assert.equal(cookie.path, '/');
    assert.equal(
      await tab1.evaluate(() =>
        (globalThis as unknown as { document: { cookie: string } }).document.cookie.includes(
          'it24_refresh_token',
        ),
      ),
      false,
    );

    await press(tab1, '#whoami');
    await expectStatus(tab1, 'called the API');
    assert.equal(await tab1.textContent('#user'), user.username);
    assert.equal(await tab1.textContent('#refreshes'), '0');

    // The access token expires; the next API call refreshes through the cookie and succeeds.
    clock.advance((ACCESS_TTL_SECONDS + services.config.clockSkewSeconds + 1) * 1000);
    await press(tab1, '#whoami');
    await expectStatus(tab1, 'called the API');
    assert.equal(await tab1.textContent('#refreshes'), '1');
    const rotated = await refreshCookie(context);
    assert.notEqual(rotated?.value, cookie.value, 'the cookie was rotated');

    // A second tab starts with no access token: it gets one through the shared cookie.
    const tab2 = await context.newPage();
    await open(tab2, `${origin}/example/`);
    await press(tab2, '#whoami');
    await expectStatus(tab2, 'called the API');

    // Both tabs refresh at the very same moment, with the same cookie: both stay signed in.
    const before = (await refreshCookie(context))!.value;
    barrier = { count: 2, waiting: [] };
    const [one, two] = await Promise.all([
      tab1.evaluate(() => (globalThis as unknown as Demo).demo.refresh()),
      tab2.evaluate(() => (globalThis as unknown as Demo).demo.refresh()),
    ]);
    barrier = null;
    assert.deepEqual([one, two], [true, true], 'both tabs refreshed');
    const after = (await refreshCookie(context))!.value;
    assert.notEqual(after, before);
    const [credentialId] = before.split('.');
    const credential = await services.repos.sessions.findCredential(credentialId!);
    assert.ok(credential?.successorId, 'rotated once');
    assert.equal(after.split('.')[0], credential.successorId, 'both got the one successor');
    for (const tab of [tab1, tab2]) {
      await press(tab, '#whoami');
      await expectStatus(tab, 'called the API');
    }
    // And a later refresh goes on from the successor.
    await press(tab2, '#refresh');
    await expectStatus(tab2, 'refreshed');

    // Sign out in one tab: the cookie is gone and the next refresh fails, in both tabs.
    await press(tab1, '#sign-out');
    await expectStatus(tab1, 'signed out');
    assert.equal(await refreshCookie(context), undefined, 'the cookie is cleared');
    await press(tab1, '#refresh');
    await expectStatus(tab1, 'refresh failed: 401');
    // The other tab's access token is refused at once (its session is over), and so is its refresh.
    const refreshesBefore = Number(await tab2.textContent('#refreshes'));
    await press(tab2, '#whoami');
    await expectStatus(tab2, 'the API refused');
    assert.equal(Number(await tab2.textContent('#refreshes')), refreshesBefore + 1, 'it tried to refresh');
    await press(tab2, '#refresh');
    await expectStatus(tab2, 'refresh failed: 401');
    await context.close();
  });

  test('as its README runs it (serve.mjs): "Who am I?" works, and a reload stays signed in through the cookie', {
    timeout: 120_000,
  }, async () => {
    const user = await seed();
    const context = await browser.newContext();
    const page = await context.newPage();
    const failures: string[] = [];
    page.on('requestfailed', (request) => failures.push(`${request.url()}: ${request.failure()?.errorText}`));
    await open(page, `${proxied.origin}/`);
    await expectStatus(page, 'signed out');
    await signIn(page, user);
    await expectStatus(page, 'signed in');
    await press(page, '#whoami');
    await expectStatus(page, 'called the API');
    assert.equal(await page.textContent('#user'), user.username);

    // A reload forgets the access token; the page gets a new one from the cookie on load.
    await page.reload();
    await page.evaluate(() => (globalThis as unknown as Demo).demo.ready);
    await expectStatus(page, 'signed in');
    assert.equal(await page.textContent('#user'), '');
    await press(page, '#whoami');
    await expectStatus(page, 'called the API');
    assert.equal(await page.textContent('#user'), user.username);
    assert.equal(await page.textContent('#refreshes'), '0', 'no refresh was needed: the load got the token');

    // A new tab too; and once signed out, a reload shows it.
    const tab = await context.newPage();
    await open(tab, `${proxied.origin}/`);
    await expectStatus(tab, 'signed in');
    await press(page, '#sign-out');
    await expectStatus(page, 'signed out');
    await page.reload();
    await page.evaluate(() => (globalThis as unknown as Demo).demo.ready);
    await expectStatus(page, 'signed out');
    assert.deepEqual(failures, [], 'no request was blocked (CORS) or failed');
    await context.close();
  });

  test('MFA: password, the hosted page with a code, back to the SPA, an authenticated call', {
    timeout: 120_000,
  }, async () => {
    const user = await seed();
    const { secret } = await services.mfa.enroll(user, user.username!);
    await services.mfa.activate(user, secret, codeAt(secret, clock.now()));
    clock.advance(30_000);
    const context = await browser.newContext();
    const page = await context.newPage();
    await open(page, `${origin}/example/`);
    await signIn(page, user);
    await page.waitForURL(/\/mfa\/challenge\?request=/);
    assert.equal(await refreshCookie(context), undefined, 'no cookie before the second factor');

    // The page labels its field; a wrong code is announced and the form comes back.
    const field = page.getByLabel('Verification code');
    const right = codeAt(secret, clock.now());
    await field.fill(right === '000000' ? '111111' : '000000');
    await page.click('button[type=submit]');
    await page.waitForSelector('[role=alert]');
    assert.match((await page.textContent('[role=alert]')) ?? '', /not accepted/);

    await page.getByLabel('Verification code').fill(right);
    await page.click('button[type=submit]');
    await page.waitForURL(`${origin}/example/`);
    await expectStatus(page, 'signed in with a second factor');
    assert.equal(new URL(page.url()).hash, '', 'the sigResponse is taken out of the address bar');
    assert.ok(await refreshCookie(context), 'the refresh cookie is set after the second factor');

    await press(page, '#whoami');
    await expectStatus(page, 'called the API');
    assert.equal(await page.textContent('#user'), user.username);
    await context.close();
  });

  test('an SPA on another, listed origin signs in, refreshes and signs out with credentialed CORS', {
    timeout: 120_000,
  }, async () => {
    const user = await seed();
    const context = await browser.newContext();
    const page = await context.newPage();
    await open(page, `${other.origin}/?api=${encodeURIComponent(origin)}`);
    await signIn(page, user);
    await expectStatus(page, 'signed in');
    assert.ok(await refreshCookie(context), 'the cookie of the Latchkey origin is set through CORS');
    await press(page, '#refresh');
    await expectStatus(page, 'refreshed');
    // rpc answers no CORS: the page says so instead of failing silently (serve.mjs is the way).
    await press(page, '#whoami');
    await expectStatus(page, 'the API is not reachable from this origin');
    await press(page, '#sign-out');
    await expectStatus(page, 'signed out');
    await press(page, '#refresh');
    await expectStatus(page, 'refresh failed: 401');

    // The same page on an origin that is not listed gets nothing: CORS blocks it and the server refuses it.
    const strangerPage = await context.newPage();
    await open(strangerPage, `${stranger.origin}/?api=${encodeURIComponent(origin)}`);
    await signIn(strangerPage, user);
    await expectStatus(strangerPage, 'sign-in failed: 0');
    assert.equal(await refreshCookie(context), undefined, 'no cookie for a stranger');
    await context.close();
  });
});
