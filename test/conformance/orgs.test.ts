import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { emailDomain, type Org, OrgService, slugOf } from '../../src/identity/orgs.js';
import { ManualClock } from '../../src/shared/clock.js';
import { LatchkeyError } from '../../src/shared/errors.js';
import { newId } from '../../src/shared/ids.js';
import { backends } from '../helpers/backends.js';
import { createApp, type Fixture, newUser, primary, rejection, T0, withStore } from './support.js';

function org(appId: string, overrides: Partial<Org> = {}): Org {
  const domain = overrides.domain === undefined ? `d${newId().slice(0, 8)}.example` : overrides.domain;
  return {
    id: newId(),
    appId,
    name: domain ?? 'Hand-made',
    slug: domain ? slugOf(domain) : `org-${newId().slice(0, 8)}`,
    domain,
    createdAt: T0,
    updatedAt: T0,
    ...overrides,
  };
}

async function user(f: Fixture, appId: string, address = `${newId()}@acme.com`) {
  return f.repos.users.create(newUser(appId, { emails: [primary(address, true)] }), T0);
}

function isConflict(err: unknown): boolean {
  return err instanceof LatchkeyError && err.code === 'conflict';
}

for (const backend of await backends()) {
  describe(`OrgRepository on ${backend.name}`, () => {
    test('the tables exist after migrating', () =>
      withStore(backend, async (f) => {
        const tables = (await f.store.db.introspection.getTables()).map((t) => t.name);
        for (const name of ['orgs', 'org_memberships', 'user_integrations', 'activation_tokens']) {
          assert.ok(tables.includes(name), `table ${name}`);
        }
      }));

    test('create, then find by id, slug and domain, each scoped to its app', () =>
      withStore(backend, async (f) => {
        const app = await createApp(f.repos);
        const other = await createApp(f.repos);
        const o = org(app.id, { domain: 'acme.com', slug: 'acme-com', name: 'Acme' });
        await f.repos.orgs.create(o);
        assert.deepEqual(await f.repos.orgs.findById(app.id, o.id), o);
        assert.deepEqual(await f.repos.orgs.findBySlug(app.id, 'acme-com'), o);
        assert.deepEqual(await f.repos.orgs.findByDomain(app.id, 'acme.com'), o);
        assert.equal(await f.repos.orgs.findById(other.id, o.id), null, 'another app does not see it');
        assert.equal(await f.repos.orgs.findByDomain(other.id, 'acme.com'), null);
        assert.equal(await f.repos.orgs.findBySlug(app.id, 'nope'), null);
      }));

    test('slug and domain are unique per app (conflict), NULL domains never collide, other apps are free', () =>
      withStore(backend, async (f) => {
        const app = await createApp(f.repos);
        const other = await createApp(f.repos);
        await f.repos.orgs.create(org(app.id, { domain: 'acme.com', slug: 'acme' }));
        const sameDomain = await rejection(
          f.repos.orgs.create(org(app.id, { domain: 'acme.com', slug: 'x' })),
        );
        assert.ok(isConflict(sameDomain), String(sameDomain));
        assert.match((sameDomain as Error).message, /domain/);
        const sameSlug = await rejection(f.repos.orgs.create(org(app.id, { domain: 'b.com', slug: 'acme' })));
        assert.ok(isConflict(sameSlug), String(sameSlug));
        assert.match((sameSlug as Error).message, /slug/);
        await f.repos.orgs.create(org(app.id, { domain: null }));
        await f.repos.orgs.create(org(app.id, { domain: null }));
        await f.repos.orgs.create(org(other.id, { domain: 'acme.com', slug: 'acme' }));
      }));

    test('list pages by id; update renames (conflict on a taken slug); delete removes memberships too', () =>
      withStore(backend, async (f) => {
        const app = await createApp(f.repos);
        const orgs = [org(app.id), org(app.id), org(app.id)];
        for (const o of orgs) await f.repos.orgs.create(o);
        const ids = orgs.map((o) => o.id).sort();
        const first = await f.repos.orgs.list(app.id, { limit: 2 });
        assert.deepEqual(
          first.map((o) => o.id),
          ids.slice(0, 2),
        );
        const rest = await f.repos.orgs.list(app.id, { limit: 2, afterId: first[1]!.id });
        assert.deepEqual(
          rest.map((o) => o.id),
          ids.slice(2),
        );

        const renamed = await f.repos.orgs.update(
          app.id,
          orgs[0]!.id,
          { name: 'Renamed', slug: 'renamed' },
          T0 + 5,
        );
        assert.equal(renamed?.name, 'Renamed');
        assert.equal(renamed?.slug, 'renamed');
        assert.equal(renamed?.updatedAt, T0 + 5);
        assert.equal(renamed?.createdAt, T0);
        assert.ok(
          isConflict(await rejection(f.repos.orgs.update(app.id, orgs[1]!.id, { slug: 'renamed' }, T0))),
        );
        assert.equal(await f.repos.orgs.update(app.id, newId(), { name: 'x' }, T0), null);

        const u = await user(f, app.id);
        await f.repos.orgs.addMember(orgs[0]!.id, u.id, T0);
        assert.equal(await f.repos.orgs.delete(app.id, orgs[0]!.id), true);
        assert.equal(await f.repos.orgs.delete(app.id, orgs[0]!.id), false);
        assert.deepEqual(await f.repos.orgs.listForUser(app.id, u.id), []);
        const rows = await f.store.db.selectFrom('org_memberships').selectAll().execute();
        assert.equal(rows.length, 0, 'memberships cascade');
      }));

    test('memberships: addMember is idempotent (also concurrently), listForUser keeps join order, listMembers pages', () =>
      withStore(backend, async (f) => {
        const app = await createApp(f.repos);
        const a = org(app.id);
        const b = org(app.id);
        await f.repos.orgs.create(a);
        await f.repos.orgs.create(b);
        const u = await user(f, app.id);
        const v = await user(f, app.id);
        assert.equal(await f.repos.orgs.addMember(b.id, u.id, T0), true);
        const parallel = await Promise.all(
          Array.from({ length: 8 }, () => f.repos.orgs.addMember(a.id, u.id, T0 + 10)),
        );
        assert.equal(parallel.filter(Boolean).length, 1, 'exactly one insert wins');
        assert.deepEqual(
          (await f.repos.orgs.listForUser(app.id, u.id)).map((o) => o.id),
          [b.id, a.id],
        );
        await f.repos.orgs.addMember(a.id, v.id, T0);
        const members = [u.id, v.id].sort();
        assert.deepEqual(await f.repos.orgs.listMembers(a.id, { limit: 10 }), members);
        assert.deepEqual(await f.repos.orgs.listMembers(a.id, { limit: 1, afterUserId: members[0] }), [
          members[1],
        ]);
        assert.equal(await f.repos.orgs.removeMember(a.id, u.id), true);
        assert.equal(await f.repos.orgs.removeMember(a.id, u.id), false);
        assert.deepEqual(
          (await f.repos.orgs.listForUser(app.id, u.id)).map((o) => o.id),
          [b.id],
        );
        // Deleting the user deletes their memberships.
        await f.repos.users.delete(app.id, v.id);
        assert.deepEqual(await f.repos.orgs.listMembers(a.id, { limit: 10 }), []);
      }));

    test('OrgService.ensureForDomain: concurrent callers agree on one org; a taken slug gets a suffix', () =>
      withStore(backend, async (f) => {
        const app = await createApp(f.repos);
        const service = new OrgService(f.repos.orgs, new ManualClock(T0));
        const results = await Promise.all(
          Array.from({ length: 10 }, () => service.ensureForDomain(app.id, 'acme.com')),
        );
        assert.equal(new Set(results.map((o) => o.id)).size, 1);
        assert.equal(results[0]!.slug, 'acme-com');
        // `acme-com.org`'s slug would be taken by a hand-made org: it gets another one.
        await f.repos.orgs.create(org(app.id, { domain: null, slug: 'acme-com-org' }));
        const suffixed = await service.ensureForDomain(app.id, 'acme-com.org');
        assert.match(suffixed.slug, /^acme-com-org-[0-9a-f]{6}$/);
        assert.equal(suffixed.domain, 'acme-com.org');
      }));

    test('OrgService.link joins the domain org only for a verified primary address', () =>
      withStore(backend, async (f) => {
        const app = await createApp(f.repos);
        const service = new OrgService(f.repos.orgs, new ManualClock(T0));
        const unverified = await f.repos.users.create(
          newUser(app.id, { emails: [primary('eve@victim.example', false)] }),
          T0,
        );
        const org1 = await service.link(unverified);
        assert.equal(org1?.domain, 'victim.example', 'the org is found or created all the same');
        assert.deepEqual(await service.belongsTo(unverified), []);
        const verified = await user(f, app.id, 'Alice@Victim.Example');
        await service.link(verified);
        await service.link(verified);
        assert.deepEqual(
          (await service.belongsTo(verified)).map((o) => o.id),
          [org1!.id],
        );
      }));
  });
}

describe('email domains', () => {
  test('lowercased, IDNA to ASCII, trailing dot dropped; nothing for a missing domain', () => {
    assert.equal(emailDomain('a@Example.COM'), 'example.com');
    assert.equal(emailDomain('a@bücher.de'), 'xn--bcher-kva.de');
    assert.equal(emailDomain('a@example.com.'), 'example.com');
    assert.equal(emailDomain('"a@b"@example.org'), 'example.org');
    assert.equal(emailDomain('no-at-sign'), null);
    assert.equal(emailDomain('a@'), null);
    assert.equal(slugOf('example.co.uk'), 'example-co-uk');
    assert.equal(slugOf('...'), 'org');
  });
});
