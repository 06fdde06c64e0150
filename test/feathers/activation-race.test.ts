import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { UserRepository } from '../../src/identity/ports.js';
import { RegistrationService } from '../../src/identity/registration.js';
import { DeferredWork } from '../../src/shared/deferred-work.js';
import { Throttle } from '../../src/throttle/index.js';
import { backends } from '../helpers/backends.js';
import { startTestServer, type TestServer, UNLIMITED } from '../helpers/server.js';

for (const backend of await backends()) {
  describe(`activation link vs. an admin's activation in between (${backend.name})`, () => {
    let server: TestServer;
    before(async () => {
      server = await startTestServer(backend);
    });
    after(async () => server.close());

    test("the link's sign-up password never overwrites a password an admin set after the link's read", async () => {
      const { services } = server;
      const app = services.defaultApp;
      const inner = services.repos.users;
      let admin: (() => Promise<void>) | null = null;
      // The store as the link sees it, with the admin's write landing right after its read:
      // the interleaving the race needs, made deterministic.
      const racing = Object.create(inner) as UserRepository;
      racing.findById = async (appId, id) => {
        const user = await inner.findById(appId, id);
        const write = admin;
        admin = null;
        if (write) await write();
        return user;
      };
      const links: string[] = [];
      const registration = new RegistrationService(
        services.hasher,
        racing,
        services.repos.activationTokens,
        {
          enqueue: async (_appId, _to, _template, vars) => {
            links.push(String(vars.link));
            return 'mail';
          },
        },
        new Throttle(UNLIMITED, 'signup'),
        server.clock,
        {
          activationTtlMs: 3600_000,
          usernamesEnabled: server.config.usernamesEnabled,
          appName: 'latchkey',
          activationLink: (token) => `https://auth.example.test/activate?token=${token}`,
        },
        new DeferredWork(1000),
      );
      const email = `race.${Date.now()}@activation.example`;
      const linkPassword = 'the sign-up link password 1';
      await registration.signUp({ app, email, password: linkPassword, redirect: null, client: { ip: null } });
      await registration.idle();
      const token = new URL(links[0]!).searchParams.get('token')!;
      const pending = (await inner.findByLogin(app.id, email))!;
      assert.equal(pending.isActive, false);

      const adminPassword = 'the admin set password 22';
      const adminHash = await services.hasher.hash(adminPassword);
      admin = async () => {
        await inner.update(
          app.id,
          pending.id,
          { isActive: true, passwordHash: adminHash },
          server.clock.now(),
        );
      };
      const activated = await registration.activate(token);
      assert.equal(admin, null, 'the admin wrote between the read and the write');
      assert.equal(activated.isActive, true);
      assert.equal(activated.emails[0]?.isVerified, true, 'the link still proves the address');
      const stored = (await inner.findById(app.id, pending.id))!;
      assert.equal(
        await services.hasher.verify(stored.passwordHash, adminPassword),
        true,
        "the admin's password stays",
      );
      assert.equal(await services.hasher.verify(stored.passwordHash, linkPassword), false);
    });
  });
}
