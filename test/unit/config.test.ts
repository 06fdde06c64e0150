import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { ConfigError, loadConfig } from '../../src/config/load.js';
import { SETTINGS } from '../../src/config/settings.js';

const quiet = { warn: () => {} };
const tmp = () => mkdtempSync(join(tmpdir(), 'latchkey-config-'));

test('defaults match the documented ones', () => {
  const dir = tmp();
  const config = loadConfig({ env: { LATCHKEY_DATA_DIR: dir }, ...quiet });
  assert.equal(config.port, 8080);
  assert.equal(config.databaseUrl, `sqlite:${join(dir, 'latchkey.db')}`);
  assert.equal(config.bearerTtlSeconds, 900);
  assert.equal(config.sessionTtlSeconds, 2592000);
  assert.deepEqual(config.cookie, {
    name: 'session',
    domain: null,
    path: '/',
    secure: true,
    sameSite: 'lax',
    autoRenew: true,
  });
  assert.deepEqual(config.dialects, ['rpc', 'feathers', 'apps', 'spa']);
  assert.ok(Object.isFrozen(config) && Object.isFrozen(config.cookie));
});

test('environment beats the config file, which beats defaults', () => {
  const dir = tmp();
  const file = join(dir, 'latchkey.config.json');
  writeFileSync(file, JSON.stringify({ port: 9000, issuer: 'from-file', cookie: { name: 'sid' } }));
  const config = loadConfig({ env: { PORT: '9100', LATCHKEY_DATA_DIR: dir }, configFile: file, ...quiet });
  assert.equal(config.port, 9100);
  assert.equal(config.issuer, 'from-file');
  assert.equal(config.cookie.name, 'sid');
});

test('an invalid value stops start-up with a message naming the key', () => {
  const dir = tmp();
  const cases: Array<[Record<string, string>, RegExp]> = [
    [{ PORT: 'eighty' }, /port \(PORT\): must be an integer/],
    [{ PORT: '70000' }, /port \(PORT\): must be between 0 and 65535/],
    [{ DATABASE_URL: 'mysql://x' }, /databaseUrl \(DATABASE_URL\)/],
    [{ LATCHKEY_COOKIE_SAMESITE: 'sometimes' }, /cookie.sameSite \(LATCHKEY_COOKIE_SAMESITE\)/],
    [
      { LATCHKEY_COOKIE_SECURE: 'maybe' },
      /cookie.secure \(LATCHKEY_COOKIE_SECURE\): must be a boolean: true, false, 1, 0, yes, no, on or off/,
    ],
    [{ LATCHKEY_DIALECTS: 'rpc,soap' }, /dialects \(LATCHKEY_DIALECTS\): unknown value 'soap'/],
    [{ LATCHKEY_SECRET: 'short' }, /secret \(LATCHKEY_SECRET\): must be at least 32 characters/],
    [{ LATCHKEY_RPC_PREFIX: 'api' }, /rpc.prefix/],
    [
      { LATCHKEY_SECRET: 'a'.repeat(32), LATCHKEY_SECRET_FALLBACKS: `${'b'.repeat(32)},short` },
      /secretFallbacks \(LATCHKEY_SECRET_FALLBACKS\): each must be at least 32 characters/,
    ],
    [
      { LATCHKEY_SECRET: 'a'.repeat(32), LATCHKEY_SECRET_FALLBACKS: 'a'.repeat(32) },
      /secretFallbacks \(LATCHKEY_SECRET_FALLBACKS\): must not repeat the current secret/,
    ],
  ];
  for (const [env, message] of cases) {
    assert.throws(
      () => loadConfig({ env: { LATCHKEY_DATA_DIR: dir, ...env }, ...quiet }),
      (err: unknown) => {
        assert.ok(err instanceof ConfigError);
        assert.match(err.message, message);
        return true;
      },
    );
  }
});

test('secret fallbacks come comma-separated from the environment, none by default', () => {
  const dir = tmp();
  const secret = 'c'.repeat(40);
  assert.deepEqual(
    loadConfig({ env: { LATCHKEY_DATA_DIR: dir, LATCHKEY_SECRET: secret }, ...quiet }).secretFallbacks,
    [],
  );
  const fallbacks = ['d'.repeat(40), 'e'.repeat(48)];
  const config = loadConfig({
    env: { LATCHKEY_DATA_DIR: dir, LATCHKEY_SECRET: secret, LATCHKEY_SECRET_FALLBACKS: fallbacks.join(',') },
    ...quiet,
  });
  assert.deepEqual(config.secretFallbacks, fallbacks);
  assert.equal(config.secret, secret);
});

test('unknown keys in the config file are refused by name', () => {
  const dir = tmp();
  const file = join(dir, 'c.json');
  writeFileSync(file, JSON.stringify({ cookie: { nmae: 'x' } }));
  assert.throws(
    () => loadConfig({ env: { LATCHKEY_DATA_DIR: dir }, configFile: file, ...quiet }),
    (err: unknown) =>
      err instanceof Error &&
      err.message === `configuration: cookie.nmae (${file}): unknown configuration key`,
  );
  writeFileSync(file, JSON.stringify({ port: 'eighty', cookie: { secure: 'maybe' } }));
  assert.throws(
    () => loadConfig({ env: { LATCHKEY_DATA_DIR: dir }, configFile: file, ...quiet }),
    (err: unknown) =>
      err instanceof Error && err.message === `configuration: port (${file}): must be an integer`,
  );
  writeFileSync(file, JSON.stringify({ cookie: { secure: 'maybe' } }));
  assert.throws(
    () => loadConfig({ env: { LATCHKEY_DATA_DIR: dir }, configFile: file, ...quiet }),
    (err: unknown) =>
      err instanceof Error &&
      err.message ===
        `configuration: cookie.secure (${file}): must be a boolean: true, false, 1, 0, yes, no, on or off`,
  );
  writeFileSync(file, '{not json');
  assert.throws(
    () => loadConfig({ env: { LATCHKEY_DATA_DIR: dir }, configFile: file, ...quiet }),
    (err: unknown) =>
      err instanceof Error && err.message.startsWith(`configuration: ${file}: cannot be read as JSON`),
  );
});

test('outside production a missing secret is generated once into the data directory, mode 0600, with a warning', () => {
  const dir = tmp();
  const warnings: string[] = [];
  const first = loadConfig({ env: { LATCHKEY_DATA_DIR: dir }, warn: (m) => warnings.push(m) });
  const second = loadConfig({ env: { LATCHKEY_DATA_DIR: dir }, warn: (m) => warnings.push(m) });
  assert.equal(first.secret, second.secret);
  assert.ok(first.secret.length >= 32);
  assert.equal(warnings.length, 1);
  const file = join(dir, 'secret');
  assert.equal(readFileSync(file, 'utf8').trim(), first.secret);
  assert.equal(statSync(file).mode & 0o777, 0o600);
});

test('production refuses to start without a long secret', () => {
  const dir = tmp();
  assert.throws(
    () => loadConfig({ env: { NODE_ENV: 'production', LATCHKEY_DATA_DIR: dir }, ...quiet }),
    /LATCHKEY_SECRET.*required/,
  );
  assert.throws(
    () => loadConfig({ env: { NODE_ENV: 'production', LATCHKEY_SECRET: 'x'.repeat(31) } }),
    /at least 32/,
  );
  const ok = loadConfig({ env: { NODE_ENV: 'production', LATCHKEY_SECRET: 'x'.repeat(32) } });
  assert.equal(ok.production, true);
});

test('every setting has a distinct environment variable and path', () => {
  assert.equal(new Set(SETTINGS.map((s) => s.env)).size, SETTINGS.length);
  assert.equal(new Set(SETTINGS.map((s) => s.path)).size, SETTINGS.length);
});

test('an rpc session cookie that browsers would drop, or that cannot be set, stops start-up', () => {
  const dir = tmp();
  const load = (overrides: Record<string, unknown>) =>
    loadConfig({ env: { LATCHKEY_DATA_DIR: dir }, overrides, ...quiet });
  const refused: Array<[Record<string, unknown>, RegExp]> = [
    // The serialiser refuses such a name: every session.setCookie answered 500.
    [{ 'cookie.name': 'my session' }, /cookie\.name.*RFC 6265/],
    [{ 'cookie.path': 'api' }, /cookie\.path.*'\/'/],
    [{ 'cookie.path': '/api; HttpOnly' }, /cookie\.path.*RFC 6265/],
    [{ 'cookie.path': '/my api' }, /cookie\.path.*RFC 6265/],
    [{ 'cookie.domain': 'example.com;Secure' }, /cookie\.domain.*RFC 6265/],
    [{ 'cookie.sameSite': 'none', 'cookie.secure': false }, /SameSite=None needs cookie\.secure/],
    [{ 'cookie.name': '__Secure-session', 'cookie.secure': false }, /__Secure- or __Host- cookie needs/],
    [
      { 'cookie.name': '__Host-session', 'cookie.path': '/api' },
      /__Host- cookie needs cookie\.path=\/ and no cookie\.domain/,
    ],
    [{ 'cookie.name': '__Host-session', 'cookie.domain': 'example.com' }, /__Host- cookie needs/],
  ];
  for (const [overrides, message] of refused) {
    assert.throws(
      () => load(overrides),
      (err: unknown) => err instanceof ConfigError && message.test(err.message),
      JSON.stringify(overrides),
    );
  }
  assert.equal(load({ 'cookie.name': '__Host-session' }).cookie.name, '__Host-session');
  assert.equal(load({ 'cookie.sameSite': 'none' }).cookie.sameSite, 'none');
  assert.equal(
    load({ 'cookie.secure': false, 'cookie.path': '/api', 'cookie.domain': 'example.com' }).cookie.path,
    '/api',
  );
});

test('without publicUrl, links follow the listening address (a wildcard host becomes 127.0.0.1)', () => {
  const dir = tmp();
  const url = (env: Record<string, string>) =>
    loadConfig({ env: { LATCHKEY_DATA_DIR: dir, ...env }, ...quiet }).publicUrl;
  assert.equal(url({}), 'http://127.0.0.1:8080');
  assert.equal(url({ PORT: '18080' }), 'http://127.0.0.1:18080');
  assert.equal(url({ HOST: 'auth.internal', PORT: '9000' }), 'http://auth.internal:9000');
  assert.equal(url({ HOST: '0.0.0.0', PORT: '18080' }), 'http://127.0.0.1:18080');
  assert.equal(url({ HOST: '::', PORT: '18080' }), 'http://127.0.0.1:18080');
  assert.equal(url({ HOST: '::1', PORT: '18080' }), 'http://[::1]:18080');
  assert.equal(url({ PORT: '80' }), 'http://127.0.0.1');
  assert.equal(
    url({ PORT: '18080', LATCHKEY_PUBLIC_URL: 'https://auth.example.com' }),
    'https://auth.example.com',
  );
  const warnings: string[] = [];
  loadConfig({
    env: { NODE_ENV: 'production', LATCHKEY_SECRET: 'x'.repeat(32), PORT: '18080' },
    warn: (m) => warnings.push(m),
  });
  assert.ok(
    warnings.some(
      (w) => w.includes('publicUrl (LATCHKEY_PUBLIC_URL) is not set') && w.includes('127.0.0.1:18080'),
    ),
    warnings.join('\n'),
  );
});
