import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { OrgDirectory } from '../../src/identity/access-ports.js';
import { MembershipCache, type MembershipChange } from '../../src/identity/membership-cache.js';
import type { OrgRepository } from '../../src/identity/orgs.js';

/** An org directory over a map, counting reads; `gate` holds a read open until released. */
function fakeDirectory(memberships: Map<string, string[]>) {
  const reads: string[][] = [];
  let gate: Promise<void> | null = null;
  const directory = {
    liveMemberships: async (userIds: readonly string[], now: number) => {
      reads.push([...userIds]);
      const snapshot = new Map(
        userIds.map((id) => [
          id,
          (memberships.get(id) ?? [])
            .map((org) => {
              const [orgId, ends] = org.split('@');
              return { orgId: orgId!, expiresAt: ends ? Number(ends) : null };
            })
            .filter((m) => m.expiresAt === null || m.expiresAt > now),
        ]),
      );
      if (gate) await gate;
      return snapshot;
    },
    join: async (input: { userId: string; orgId: string }) => {
      memberships.set(input.userId, [...(memberships.get(input.userId) ?? []), input.orgId]);
      return true;
    },
    leave: async (_appId: string, orgId: string, userId: string) => {
      memberships.set(
        userId,
        (memberships.get(userId) ?? []).filter((o) => o !== orgId),
      );
      return true;
    },
    deleteOrg: async (_appId: string, orgId: string) => {
      for (const [user, orgs] of memberships)
        memberships.set(
          user,
          orgs.filter((o) => o !== orgId),
        );
      return true;
    },
  } as unknown as OrgDirectory;
  return {
    directory,
    reads,
    hold() {
      let release!: () => void;
      gate = new Promise((r) => {
        release = r;
      });
      return () => {
        gate = null;
        release();
      };
    },
  };
}

const join = (userId: string, orgId: string) => ({
  appId: 'app',
  orgId,
  userId,
  now: 0,
  expiresAt: null,
  permissions: [],
  roles: [],
});

test('org ids are read once, then served from memory, in the order asked', async () => {
  const fake = fakeDirectory(
    new Map([
      ['u1', ['o1']],
      ['u2', ['o2', 'o3']],
    ]),
  );
  const cache = new MembershipCache();
  const dir = cache.directory(fake.directory);
  assert.deepEqual([...(await dir.liveOrgIds(['u1'], 0))], [['u1', ['o1']]]);
  assert.deepEqual(
    [...(await dir.liveOrgIds(['u2', 'u1'], 0))],
    [
      ['u2', ['o2', 'o3']],
      ['u1', ['o1']],
    ],
  );
  assert.deepEqual(fake.reads, [['u1'], ['u2']], 'u1 came from memory the second time');
  // A caller changing the answer does not change the cache.
  (await dir.liveOrgIds(['u1'], 0)).get('u1')!.push('tampered');
  assert.deepEqual((await dir.liveOrgIds(['u1'], 0)).get('u1'), ['o1']);
});

test('every membership write through either repository evicts, and is announced', async () => {
  const memberships = new Map([['u1', ['o1']]]);
  const fake = fakeDirectory(memberships);
  const cache = new MembershipCache();
  const announced: MembershipChange[] = [];
  cache.onChange = (change) => announced.push(change);
  const dir = cache.directory(fake.directory);
  const calls: string[] = [];
  const repo = cache.repository({
    addMember: async (orgId: string, userId: string) => {
      calls.push(`add ${orgId}`);
      memberships.set(userId, [...(memberships.get(userId) ?? []), orgId]);
      return true;
    },
    removeMember: async () => {
      throw new Error('store unreachable');
    },
    delete: async () => true,
  } as unknown as OrgRepository);
  const orgsOf = async (user: string) => (await dir.liveOrgIds([user], 0)).get(user);

  await orgsOf('u1');
  await dir.join(join('u1', 'o2'));
  assert.deepEqual(await orgsOf('u1'), ['o1', 'o2']);
  await dir.leave('app', 'o1', 'u1');
  assert.deepEqual(await orgsOf('u1'), ['o2']);
  await repo.addMember('o4', 'u1', 0);
  assert.deepEqual(await orgsOf('u1'), ['o2', 'o4']);
  // A failed write may have happened: evict all the same.
  await assert.rejects(repo.removeMember('o4', 'u1'), /store unreachable/);
  await dir.deleteOrg('app', 'o2');
  assert.deepEqual(await orgsOf('u1'), ['o4']);
  await repo.delete('app', 'o4');
  assert.deepEqual(calls, ['add o4']);
  assert.deepEqual(announced, [
    { userId: 'u1' },
    { userId: 'u1' },
    { userId: 'u1' },
    { userId: 'u1' },
    'all',
    'all',
  ]);
});

test('a read that started before an eviction does not store its stale answer', async () => {
  const memberships = new Map([['u1', ['o1']]]);
  const fake = fakeDirectory(memberships);
  const cache = new MembershipCache();
  const dir = cache.directory(fake.directory);
  const release = fake.hold();
  const stale = dir.liveOrgIds(['u1'], 0);
  await dir.join(join('u1', 'o2'));
  release();
  assert.deepEqual((await stale).get('u1'), ['o1'], 'the read answers what it saw');
  assert.deepEqual((await dir.liveOrgIds(['u1'], 0)).get('u1'), ['o1', 'o2'], 'and was not kept');
  assert.equal(fake.reads.length, 2);
});

test('changes told by another node evict here without being announced again', async () => {
  const memberships = new Map([
    ['u1', ['o1']],
    ['u2', ['o2']],
  ]);
  const fake = fakeDirectory(memberships);
  const cache = new MembershipCache();
  let announced = 0;
  cache.onChange = () => announced++;
  const dir = cache.directory(fake.directory);
  await dir.liveOrgIds(['u1', 'u2'], 0);
  memberships.set('u1', []);
  memberships.set('u2', []);
  cache.apply({ userId: 'u1' });
  assert.deepEqual(
    [...(await dir.liveOrgIds(['u1', 'u2'], 0))],
    [
      ['u1', []],
      ['u2', ['o2']],
    ],
  );
  cache.apply('all');
  assert.deepEqual((await dir.liveOrgIds(['u2'], 0)).get('u2'), []);
  assert.equal(announced, 0);
});

test('a cached membership stops counting at the millisecond it ends', async () => {
  const fake = fakeDirectory(new Map([['u1', ['o1', 'o2@1000']]]));
  const dir = new MembershipCache().directory(fake.directory);
  assert.deepEqual((await dir.liveOrgIds(['u1'], 999)).get('u1'), ['o1', 'o2']);
  assert.deepEqual((await dir.liveOrgIds(['u1'], 1000)).get('u1'), ['o1']);
  assert.deepEqual((await dir.liveMemberships(['u1'], 999)).get('u1'), [
    { orgId: 'o1', expiresAt: null },
    { orgId: 'o2', expiresAt: 1000 },
  ]);
  assert.equal(fake.reads.length, 1, 'all from one read');
});

test('the synchronous peek answers only from memory, with the same live org ids, and never reads', async () => {
  const memberships = new Map([['u1', ['o1', 'o2@1000']]]);
  const fake = fakeDirectory(memberships);
  const cache = new MembershipCache();
  const dir = cache.directory(fake.directory);
  assert.equal(dir.peekLiveOrgIds?.('u1', 0), undefined, 'not cached yet: the caller must ask liveOrgIds');
  assert.equal(fake.reads.length, 0, 'a peek never reads');
  await dir.liveOrgIds(['u1'], 0);
  assert.deepEqual(dir.peekLiveOrgIds?.('u1', 999), ['o1', 'o2']);
  assert.deepEqual(dir.peekLiveOrgIds?.('u1', 1000), ['o1'], 'a membership stops at the millisecond it ends');
  // A caller changing the answer does not change the cache.
  dir.peekLiveOrgIds?.('u1', 0)?.push('tampered');
  assert.deepEqual(dir.peekLiveOrgIds?.('u1', 0), ['o1', 'o2']);
  await dir.join(join('u1', 'o3'));
  assert.equal(dir.peekLiveOrgIds?.('u1', 0), undefined, 'a write evicts: the next peek misses');
  assert.equal(fake.reads.length, 1);
});
