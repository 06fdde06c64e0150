import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { App } from '../../src/identity/types.js';
import { readyLogin } from '../apps/support.js';
import { backends } from '../helpers/backends.js';
import { redisForTest } from '../helpers/redis.js';
import { seedUser, startTestServer, type TestServer } from '../helpers/server.js';

/**
 * Issue 18, items 2 and 5: a stranger's wrong passwords never lock the owner out (failures
 * count per account and client; a device that signed in before keeps its own allowance;
 * a much higher per-account ceiling stops only attacks spread over many addresses), and
 * an IPv6 client is counted by its prefix wherever an address is a key.
 */

const OWNER_IP = '192.0.2.10';
const STRANGER_IP = '203.0.113.66';
const DEVICE_HEADER = 'latchkey-device';

interface Answer {
  status: number;
  device: string | null;
  cookie: string | null;
}

type Dialect = 'rpc' | 'rpc-cookie' | 'spa' | 'feathers' | 'apps';

interface Account {
  login: string;
  password: string;
}

async function post(
  server: TestServer,
  url: string,
  body: unknown,
  ip: string,
  headers: Record<string, string> = {},
): Promise<Answer> {
  const res = await server.inject({
    method: 'POST',
    url,
    headers: { 'content-type': 'application/json', ...headers },
    payload: JSON.stringify(body),
    remoteAddress: ip,
  });
  const header = res.headers[DEVICE_HEADER];
  const cookie = res.cookies.find((c) => c.name === 'latchkey_device');
  return {
    status: res.statusCode,
    device: typeof header === 'string' ? header : null,
    cookie: cookie?.value ?? null,
  };
}

/** One sign-in in the dialect's own wire format; `device` is presented as the header, or as the cookie. */
function signInWith(server: TestServer, dialect: Dialect, appsApp: App) {
  return (
    account: Account,
    password: string,
    ip: string,
    device: { header?: string; cookie?: string } = {},
  ): Promise<Answer> => {
    const headers: Record<string, string> = {};
    if (device.header) headers[DEVICE_HEADER] = device.header;
    if (device.cookie) headers['cookie'] = `latchkey_device=${device.cookie}`;
    const rpcPrefix = server.config.rpc.prefix;
    switch (dialect) {
      case 'rpc':
        return post(
          server,
          `${rpcPrefix}/session.issueToken`,
          { user: account.login, password },
          ip,
          headers,
        );
      case 'rpc-cookie':
        return post(server, `${rpcPrefix}/session.setCookie`, { user: account.login, password }, ip, headers);
      case 'spa':
        return post(server, '/login', { email: account.login, password }, ip, headers);
      case 'feathers':
        return post(server, '/auth/login', { email: account.login, password }, ip, headers);
      case 'apps':
        return post(
          server,
          `/api/v2/apps/${appsApp.owner}/${appsApp.name}/auth/login`,
          { login: account.login, password },
          ip,
          headers,
        );
    }
  };
}

const SUCCESS: Record<Dialect, number> = { rpc: 200, 'rpc-cookie': 200, spa: 200, feathers: 201, apps: 200 };
const FAILURE: Record<Dialect, number> = { rpc: 200, 'rpc-cookie': 200, spa: 401, feathers: 401, apps: 401 };

const redis = await redisForTest();
const [sqlite] = await backends();
// The counters in memory, and shared through the real Redis (the limiter every node of a cluster uses).
// Each server gets a key prefix of its own, under the run's (which cleanup deletes).
const stores: Array<{ label: string; overrides: (name: string) => Record<string, unknown> }> = [
  { label: 'memory', overrides: () => ({}) },
];
if (redis)
  stores.push({
    label: 'Redis',
    overrides: (name) => ({ redisUrl: redis.url, redisPrefix: `${redis.prefix}${name}:` }),
  });

for (const store of stores) {
  describe(`a stranger cannot lock the owner out (${sqlite!.name}, counters in ${store.label})`, () => {
    let server: TestServer;
    let appsApp: App;
    let counter = 0;
    before(async () => {
      server = await startTestServer(sqlite!, { overrides: store.overrides('lockout') });
      appsApp = await server.services.appsCore.tenancy.create('lockout/portal');
    });
    after(async () => server.close());

    async function account(dialect: Dialect): Promise<Account> {
      counter++;
      if (dialect === 'apps') {
        const login = `owner${counter}@example.com`;
        const password = `owner ${counter} long password`;
        await readyLogin(server, appsApp, login, password);
        return { login, password };
      }
      const user = await seedUser(server);
      // rpc takes a username; spa and feathers an email address.
      const login = dialect === 'rpc' || dialect === 'rpc-cookie' ? user.username! : user.emails[0]!.address;
      return { login, password: user.password };
    }

    for (const dialect of ['rpc', 'rpc-cookie', 'spa', 'feathers', 'apps'] as const) {
      test(`${dialect}: the owner's device still signs in while the stranger's address is held at 429`, async () => {
        const signIn = signInWith(server, dialect, appsApp);
        const owner = await account(dialect);
        const first = await signIn(owner, owner.password, OWNER_IP);
        assert.equal(first.status, SUCCESS[dialect]);
        assert.ok(first.device, 'a completed sign-in hands the client a device token (Latchkey-Device)');
        const cookieDialect = dialect === 'rpc-cookie' || dialect === 'spa';
        if (cookieDialect) assert.equal(first.cookie, first.device, 'and the same as an http-only cookie');
        else assert.equal(first.cookie, null, 'a bearer dialect sets no cookie');
        const presented = cookieDialect ? { cookie: first.cookie! } : { header: first.device };

        const stranger: number[] = [];
        for (let i = 0; i < 10; i++)
          stranger.push((await signIn(owner, `wrong ${i} guess`, STRANGER_IP)).status);
        assert.deepEqual(stranger.slice(0, 6), Array(6).fill(FAILURE[dialect]));
        assert.deepEqual(stranger.slice(6), Array(4).fill(429), 'the stranger is throttled');
        assert.equal(
          (await signIn(owner, owner.password, STRANGER_IP)).status,
          429,
          'the right password from the stranger’s address is refused too',
        );

        // The owner: their device, from their address or another; and their address without it.
        assert.equal((await signIn(owner, owner.password, OWNER_IP, presented)).status, SUCCESS[dialect]);
        assert.equal(
          (await signIn(owner, owner.password, '198.51.100.7', presented)).status,
          SUCCESS[dialect],
        );
        assert.equal((await signIn(owner, owner.password, OWNER_IP)).status, SUCCESS[dialect]);
        assert.equal((await signIn(owner, 'wrong again', STRANGER_IP)).status, 429, 'still held');
      });
    }

    test('a device token of another account, or a forged one, is no device of this account', async () => {
      const signIn = signInWith(server, 'rpc', appsApp);
      const mine = await account('rpc');
      const victim = await account('rpc');
      const myDevice = (await signIn(mine, mine.password, STRANGER_IP)).device!;
      const statuses = async (login: string, header: string) => {
        const out: number[] = [];
        for (let i = 0; i < 9; i++)
          out.push(
            (await signIn({ login, password: '' }, `wrong ${i} guess`, '203.0.113.1', { header })).status,
          );
        return out;
      };
      const forged = `${myDevice.slice(0, -4)}AAAA`;
      const againstVictim = await statuses(victim.login, myDevice);
      assert.deepEqual(againstVictim.slice(6), [429, 429, 429]);
      // Enumeration: an unknown login behaves exactly like the known one, device path included.
      const unknownLogin = `nobody${counter}`;
      server.clock.advance(3 * 3600_000);
      assert.deepEqual(await statuses(unknownLogin, myDevice), againstVictim);
      assert.deepEqual(await statuses(`other${counter}`, forged), againstVictim);
    });

    test('an attack spread over many addresses meets the account ceiling; the owner’s device does not', async () => {
      const signIn = signInWith(server, 'rpc', appsApp);
      const owner = await account('rpc');
      const device = (await signIn(owner, owner.password, OWNER_IP)).device!;
      const statuses: number[] = [];
      for (let i = 0; i < 110; i++)
        statuses.push((await signIn(owner, `wrong ${i} guess`, `198.18.${i >> 8}.${i & 255}`)).status);
      assert.ok(
        statuses.slice(0, 100).every((s) => s === 200),
        'one failure per address is never throttled by it',
      );
      assert.ok(
        statuses.slice(101).every((s) => s === 429),
        'past the ceiling every new address is refused',
      );
      assert.equal((await signIn(owner, owner.password, '198.18.9.9')).status, 429);
      assert.equal((await signIn(owner, owner.password, OWNER_IP, { header: device })).status, 200);
      // The unknown login meets the very same ceiling.
      const unknown: number[] = [];
      for (let i = 0; i < 110; i++)
        unknown.push(
          (
            await signIn(
              { login: `ghost${counter}`, password: '' },
              `wrong ${i} guess`,
              `198.19.${i >> 8}.${i & 255}`,
            )
          ).status,
        );
      assert.deepEqual(unknown, statuses);
    });

    test('apps change-password: a stranger’s calls do not use up the owner’s minute', async () => {
      const owner = await account('apps');
      const url = `/api/v2/apps/${appsApp.owner}/${appsApp.name}/users/change-password`;
      const change = (oldPassword: string, newPassword: string, ip: string) =>
        post(server, url, { login: owner.login, oldPassword, newPassword }, ip);
      assert.equal((await change('a wrong old one', 'a brand new password 1', STRANGER_IP)).status, 401);
      assert.equal((await change('another wrong one', 'a brand new password 1', STRANGER_IP)).status, 429);
      assert.equal((await change(owner.password, 'a brand new password 2', OWNER_IP)).status, 200);
    });

    test('rpc user.forgotPassword: a stranger’s requests do not use up the owner’s', async () => {
      const owner = await account('rpc');
      const forgot = (ip: string) =>
        post(server, `${server.config.rpc.prefix}/user.forgotPassword`, { userKey: owner.login }, ip);
      const stranger: number[] = [];
      for (let i = 0; i < 6; i++) stranger.push((await forgot(STRANGER_IP)).status);
      assert.deepEqual(stranger.slice(4), [429, 429]);
      assert.equal((await forgot(OWNER_IP)).status, 200);
      // Spread over many addresses, the account's ceiling (20) still bounds the mail.
      const spread: number[] = [];
      for (let i = 0; i < 25; i++) spread.push((await forgot(`198.51.100.${i + 20}`)).status);
      assert.ok(spread.includes(429));
      await server.services.identity.account.settled();
    });
  });

  describe(`IPv6 clients are counted by their prefix (${sqlite!.name}, counters in ${store.label})`, () => {
    let server: TestServer;
    let wide: TestServer;
    let appsApp: App;
    before(async () => {
      server = await startTestServer(sqlite!, { overrides: store.overrides('ipv6') });
      wide = await startTestServer(sqlite!, {
        overrides: { ...store.overrides('ipv6-48'), 'throttle.ipv6PrefixLength': 48 },
      });
      appsApp = await server.services.appsCore.tenancy.create('ipv6/portal');
    });
    after(async () => {
      await server.close();
      await wide.close();
    });

    const inSlash64 = (i: number) =>
      `2001:db8:1:2:${((i * 7919) & 0xffff).toString(16)}:${i.toString(16)}:0:1`;

    for (const dialect of ['rpc', 'spa', 'feathers', 'apps'] as const) {
      test(`${dialect}: 120 failed sign-ins over one /64 meet 429; another /64 is not held`, async () => {
        const signIn = signInWith(server, dialect, appsApp);
        let owner: Account;
        if (dialect === 'apps') {
          owner = { login: `v6owner-${dialect}@example.com`, password: 'v6 owner long password' };
          await readyLogin(server, appsApp, owner.login, owner.password);
        } else {
          const user = await seedUser(server);
          owner = {
            login: dialect === 'rpc' ? user.username! : user.emails[0]!.address,
            password: user.password,
          };
        }
        const statuses: number[] = [];
        for (let i = 0; i < 120; i++)
          statuses.push((await signIn(owner, `wrong ${i} guess`, inSlash64(i))).status);
        assert.deepEqual(statuses.slice(0, 6), Array(6).fill(FAILURE[dialect]));
        assert.ok(
          statuses.slice(6).every((s) => s === 429),
          `the whole /64 is one client: ${statuses.join(',')}`,
        );
        assert.equal((await signIn(owner, owner.password, '2001:db8:1:3::1')).status, SUCCESS[dialect]);
      });
    }

    test('feathers sign-up and rpc password reset count one /64 as one address too', async () => {
      const forgot: number[] = [];
      for (let i = 0; i < 30; i++)
        forgot.push(
          (
            await post(
              server,
              `${server.config.rpc.prefix}/user.forgotPassword`,
              { userKey: `someone${i}@example.com` },
              inSlash64(i),
            )
          ).status,
        );
      // The per-address reset budget is 20 free requests across accounts.
      assert.ok(
        forgot.slice(21).every((s) => s === 429),
        JSON.stringify(forgot),
      );
      await server.services.identity.account.settled();
    });

    test('the prefix length is a setting: with 48 bits, two /64s of one /48 share a counter', async () => {
      const user = await seedUser(wide);
      const signIn = signInWith(wide, 'rpc', appsApp);
      const owner = { login: user.username!, password: user.password };
      const statuses: number[] = [];
      for (let i = 0; i < 8; i++)
        statuses.push((await signIn(owner, `wrong ${i} guess`, `2001:db8:1:${i.toString(16)}::1`)).status);
      assert.deepEqual(statuses.slice(6), [429, 429]);
      assert.equal((await signIn(owner, owner.password, '2001:db8:2::1')).status, 200);
    });
  });
}

after(async () => redis?.cleanup());
